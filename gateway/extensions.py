"""Flask extensions, created once and unbound; create_app() binds them."""

from flask_wtf import CSRFProtect

csrf = CSRFProtect()
