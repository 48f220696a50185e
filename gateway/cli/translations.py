"""`satupintu translations check`: are the gettext catalogs complete (docs/translating.md)."""

from __future__ import annotations

import click
from rich.console import Console

console = Console()


@click.group()
def translations() -> None:
    """The interface and reply catalogs (config/data/translations/*/LC_MESSAGES/*.po)."""


@translations.command("check")
def check() -> None:
    """Every key used is in id and en, none empty or fuzzy, same placeholders, none unused."""
    from config import catalogs
    from gateway.catalog_check import problems

    found = problems()
    for line in found:
        console.print(line, soft_wrap=True, markup=False)
    keys = sum(len(catalogs.entries(catalogs.SOURCE_LANGUAGE, d)) for d in catalogs.DOMAINS)
    summary = f"{len(found)} problem(s); {keys} keys in {', '.join(catalogs.DOMAINS)}, id and en"
    console.print(summary, markup=False)
    if found:
        raise SystemExit(1)
