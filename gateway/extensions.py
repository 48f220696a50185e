"""Flask extensions, created once and unbound; create_app() binds them."""

from flask_login import LoginManager
from flask_wtf import CSRFProtect

from gateway.catalogs import CatalogBabel

csrf = CSRFProtect()

# Operators' sessions in the console (gateway/console/auth.py loads the operator).
login_manager = LoginManager()
# A stolen cookie replayed from another address or browser is dropped, not just marked stale.
login_manager.session_protection = "strong"
login_manager.login_view = "console.auth.login"

# The gettext catalogs through Flask-Babel: the request's locale, _() in templates (i18n.py).
babel = CatalogBabel()
