"""`satupintu triage evaluate | show | train`: the figures printed (with rich), the model in
use named, and a trained model written into the data dir and used from then on."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from config.triage_model import DEFAULT_MODEL, model_path, trained_models
from gateway.cli import main


@pytest.fixture
def cli(cli_settings):
    def run(*args):
        return CliRunner().invoke(main, ["triage", *args])

    return run


def test_evaluate_prints_the_done_when_figures(cli):
    result = cli("evaluate", "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["complaints"] > 100 and figures["junk"] > 100
    for name in ("junk_to_agency", "junk_to_case", "complaint_to_case", "right_unit",
                 "wrong_unit", "junk_recall"):  # fmt: skip
        assert 0.0 <= figures[name] <= 1.0


def test_show_names_the_model_in_use(cli):
    result = cli("show")
    assert result.exit_code == 0, result.output
    assert "model.json" in result.output and "thresholds" in result.output.replace("ambang", "")


def test_train_writes_a_versioned_model_that_is_used_next(cli, runtime, monkeypatch):
    import config.triage_model as files

    runtime.settings.data_dir.mkdir(parents=True, exist_ok=True)
    small = runtime.settings.data_dir / "small.tsv"
    rows = [f"complaint\tjalan\t\tjalan rusak berlubang nomor {n}" for n in range(4)]
    rows += [f"complaint\tair\t\tair pdam mati hari ke {n}" for n in range(4)]
    rows += [f"fraud\t\t\tmama minta pulsa {n} rb" for n in range(4)]
    small.write_text("# test\nkind\tcategory\tkecamatan_code\ttext\n" + "\n".join(rows) + "\n")
    monkeypatch.setattr(files, "CORPUS", small)
    monkeypatch.setattr("dispatcher.triage_train.keyword_examples", lambda categories: [])
    assert model_path(runtime.settings.data_dir) == DEFAULT_MODEL
    result = cli("train")
    assert result.exit_code == 0, result.output
    (written,) = trained_models(runtime.settings.data_dir)
    assert written.stat().st_mode & 0o077 == 0  # training words: the owner's only
    assert model_path(runtime.settings.data_dir) == written
