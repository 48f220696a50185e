"""Issue 23, a newcomer's first hour: the console header, `operator list`, /metrics' type,
`--version`, and commands that never create a data dir (only `up` does)."""

from __future__ import annotations

from importlib.metadata import version

import pytest
from click.testing import CliRunner
from console_support import add_operator, fast_hashing, login  # noqa: F401 (a fixture)

from gateway.cli import main

pytestmark = pytest.mark.usefixtures("fast_hashing")


def test_the_first_account_is_not_named_twice_in_the_header(client, runtime):
    add_operator(runtime, "koordinator", display_name="Admin Koordinator")
    login(client, "koordinator")
    page = client.get("/console/").get_data(as_text=True)
    assert "Admin Koordinator · Admin Koordinator" not in page
    assert "Admin Koordinator" in page


def test_a_named_operator_shows_name_and_role(client, runtime):
    add_operator(runtime, "siti", display_name="Siti Aminah")
    login(client, "siti")
    assert "Siti Aminah · Admin Koordinator" in client.get("/console/").get_data(as_text=True)


def test_operator_list_never_truncates(cli_settings, runtime):
    long_name = "Admin Dinas Pekerjaan Umum dan Penataan Ruang Kabupaten"
    add_operator(runtime, "admin-dinas-pupr-aceh-tengah", role="unit", unit="kec-11.04.17")
    add_operator(runtime, "pupr", display_name=long_name)
    result = CliRunner().invoke(main, ["operator", "list"], terminal_width=60)
    assert result.exit_code == 0, result.output
    assert "admin-dinas-pupr-aceh-tengah" in result.output
    assert long_name in result.output
    assert "…" not in result.output


def test_metrics_names_its_charset_once(client):
    content_type = client.get("/metrics").headers["Content-Type"]
    assert content_type.count("charset") == 1, content_type


def test_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert version("satupintu") in result.output


COMMANDS = [
    ["status"],
    ["operator", "list"],
    ["replay", "--all", "--dry-run"],
    ["spool", "drain"],
    ["db", "upgrade"],
    ["apikey", "list"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_commands_other_than_up_never_create_a_data_dir(tmp_path, monkeypatch, args):
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ENV"):
        monkeypatch.delenv(f"SATUPINTU_{name}", raising=False)
    missing = tmp_path / "elsewhere" / "var"
    monkeypatch.setenv("SATUPINTU_DATA_DIR", str(missing))
    result = CliRunner().invoke(main, args)
    assert result.exit_code != 0
    assert not missing.exists()
    assert str(missing) in result.output
    assert "SATUPINTU_DATA_DIR" in result.output


@pytest.mark.parametrize(
    "url, shown",
    [
        ("postgresql+psycopg://app:s3cret@db:5432/satupintu", "postgresql+psycopg://app:***@db:5432/satupintu"),
        ("redis://:s3cret@cache:6379/0", "redis://:***@cache:6379/0"),
        ("redis+sentinel://:pw@s1:26379,s2:26379/mymaster", "redis+sentinel://:***@s1:26379,s2:26379/mymaster"),
        ("sqlite:////srv/var/satupintu.db", "sqlite:////srv/var/satupintu.db"),
        ("postgresql+psycopg://app@db/satupintu", "postgresql+psycopg://app@db/satupintu"),
    ],
)  # fmt: skip
def test_the_banner_prints_urls_without_passwords(url, shown):
    from gateway.cli.supervisor import without_password

    assert without_password(url) == shown


def test_the_readme_links_only_what_a_clone_has():
    """A fresh clone has no ../shared/: the architecture the README points to is in the repo."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text()
    linked = re.findall(r"\]\(([^)#]+)\)", readme) + re.findall(r"`(\.\./[^`]+)`", readme)
    assert "docs/architecture.md" in linked
    for target in linked:
        if "://" in target:
            continue
        resolved = (root / target).resolve()
        assert resolved.is_relative_to(root) and resolved.exists(), target
    architecture = (root / "docs" / "architecture.md").read_text()
    assert "## The house" in architecture and "## One message, start to finish" in architecture
