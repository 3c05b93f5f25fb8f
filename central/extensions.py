"""Flask extensions, created here and bound to the app in create_app."""

from flask_babel import Babel, lazy_gettext
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so that migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
login_manager.login_message = lazy_gettext("Sign in to see this page.")
login_manager.localize_callback = str  # translate when flashed, in the visitor's language
csrf = CSRFProtect()
babel = Babel()
# Rate limits (SPEC 7.7): keyed by the client address, which ProxyFix (TRUSTED_PROXIES) sets to
# the forwarded one behind proxies; the limits themselves are declared in core/limits.py.
limiter = Limiter(key_func=get_remote_address)
