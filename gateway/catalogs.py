"""The catalogs behind the gateway: Flask-Babel served from them.

Flask-Babel would load compiled .mo files; ``CatalogBabel`` hands it the catalogs
config/catalogs.py compiles in memory from the .po instead. The completeness check lives in
gateway/catalog_check.py (it reads the console's code, which this module must not import).
"""

from __future__ import annotations

from functools import cached_property

from babel.support import Translations
from flask_babel import Babel, Domain, get_locale

from config import catalogs


class CatalogDomain(Domain):
    """The ``messages`` domain, from the in-memory catalogs (no .mo files on disk)."""

    def get_translations(self) -> Translations:
        return catalogs.translations(str(get_locale() or catalogs.SOURCE_LANGUAGE))


class CatalogBabel(Babel):
    """Flask-Babel whose default domain is ``CatalogDomain``."""

    @cached_property
    def domain_instance(self) -> Domain:
        return CatalogDomain()
