"""`satupintu kannel config`: the kannel.conf for this gateway's settings, on stdout.

Bearerbox and smsbox read one file; this writes it from SATUPINTU_KANNEL_* (the secret the
sms-service carries, the sendsms account, the shortcode) and SATUPINTU_PUBLIC_URL (where
smsbox reaches our webhook). ``--fake-smsc PORT`` swaps the operators' SMPP binds for
Kannel's fake SMSC, for drills and tests (kannel-extras' fakesmsc connects to it).
"""

from __future__ import annotations

import secrets

import click

from adapters.kannel.conf import ConfError, Layout, render
from config import ConfigError, load_settings


@click.group()
def kannel() -> None:
    """Kannel: SMS on the operators' shortcode over SMPP."""


@kannel.command("config")
@click.option(
    "--fake-smsc",
    "fake_smsc",
    type=click.IntRange(1, 65535),
    default=None,
    metavar="PORT",
    help="Kannel's fake SMSC on PORT instead of the operators' SMPP binds.",
)
@click.option("--admin-port", type=click.IntRange(1, 65535), default=13000, show_default=True)
@click.option("--smsbox-port", type=click.IntRange(1, 65535), default=13001, show_default=True)
@click.option("--log-dir", default="/var/log/kannel", show_default=True)
@click.option("--spool-dir", default="/var/spool/kannel", show_default=True)
@click.option(
    "--gateway-url",
    default="",
    help="Where smsbox reaches SatuPintu (default SATUPINTU_PUBLIC_URL, else 127.0.0.1).",
)
def config(
    fake_smsc: int | None,
    admin_port: int,
    smsbox_port: int,
    log_dir: str,
    spool_dir: str,
    gateway_url: str,
) -> None:
    """Print a complete kannel.conf for the current settings."""
    layout = Layout(
        admin_port=admin_port,
        smsbox_port=smsbox_port,
        log_dir=log_dir.rstrip("/"),
        spool_dir=spool_dir.rstrip("/"),
        fake_smsc_port=fake_smsc,
        gateway_url=gateway_url,
    )
    try:
        # The conf needs no database and no secret key: none is looked for in a data dir.
        settings = load_settings(
            create_data_dir=False, database_url="sqlite://", secret_key=secrets.token_hex(16)
        )
        text = render(settings, layout)
    except (ConfigError, ConfError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(text, nl=False)
