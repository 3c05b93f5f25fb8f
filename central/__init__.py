"""Central: the app factory and its register steps."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, g, session
from flask_login import current_user

import central.core.sqlite  # noqa: F401  - SQLite's connection settings and writer transactions
from config import get_config

PACKAGE_DIR = Path(__file__).resolve().parent
# The folder that holds migrations/ and templates/: the checkout's root in a source or editable
# install, the package itself once installed from a wheel (setup.py copies them in).
INSTALLED = not (PACKAGE_DIR.parent / "migrations" / "env.py").is_file()
PROJECT_ROOT = PACKAGE_DIR if INSTALLED else PACKAGE_DIR.parent
MIN_ID, MAX_ID = -(2**31), 2**31 - 1  # integer primary keys (PostgreSQL `integer`)


def create_app(config_name: str | None = None, **overrides: Any) -> Flask:
    """Build the app for `config_name` (default: CENTRAL_CONFIG) with optional overrides."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        # Installed, Flask's own default: <prefix>/var/central-instance.
        instance_path=os.environ.get("CENTRAL_INSTANCE_PATH")
        or (None if INSTALLED else str(PROJECT_ROOT / "instance")),
    )
    config = get_config(config_name)
    app.config.from_object(config)
    app.config.update(overrides)
    config.validate(app.config)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{os.path.join(app.instance_path, 'central.sqlite')}"
        )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgres://"):
        app.config["SQLALCHEMY_DATABASE_URI"] = app.config["SQLALCHEMY_DATABASE_URI"].replace(
            "postgres://", "postgresql+psycopg://", 1
        )
    if not app.config.get("STORAGE_DIR"):
        app.config["STORAGE_DIR"] = os.path.join(app.instance_path, "storage")
    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    fill_registries()
    register_extensions(app)
    register_blueprints(app)
    from central.core.errors import register_errorhandlers

    register_errorhandlers(app)
    register_request_hooks(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    # Importing the models registers them on the metadata.
    import central.models  # noqa: F401
    from central.extensions import babel, csrf, db, login_manager, migrate
    from central.i18n import select_locale

    db.init_app(app)
    from central.core.types import render_migration_item

    migrate.init_app(
        app,
        db,
        directory=str(PROJECT_ROOT / "migrations"),
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
        render_item=render_migration_item,
    )
    csrf.init_app(app)
    from central.core import limits

    limits.register(app)
    from central.core import storage

    storage.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Europe/Brussels")
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"

    from central.accounts.services import load_user_from_session

    login_manager.user_loader(load_user_from_session)


def fill_registries() -> None:
    """The domains fill the registries of the layers below them, here, explicitly, whenever an app
    is created (idempotent): each domain's reach (`@reach(Model)` in its reach.py, which
    core.permissions dispatches through), the API token lookup (accounts, for core.api's bearer
    tokens) and the source of committed amounts (planning's tasks, for frameworks.queries)."""
    from central.accounts import reach as accounts_reach  # noqa: F401
    from central.accounts import services as accounts_services  # noqa: F401
    from central.assets import reach as assets_reach  # noqa: F401
    from central.frameworks import reach as frameworks_reach  # noqa: F401
    from central.frameworks.queries import register_amount_source
    from central.organisations import reach as organisations_reach  # noqa: F401
    from central.planning import reach as planning_reach  # noqa: F401
    from central.planning.queries import task_amount_rows
    from central.reports import reach as reports_reach  # noqa: F401

    register_amount_source(task_amount_rows)


def register_blueprints(app: Flask) -> None:
    import central.api_routes  # noqa: F401  - registers every domain's API operations
    from central.accounts.views import bp as accounts_bp
    from central.assets.hydrant_views import bp as hydrants_bp
    from central.assets.public import bp as public_bp
    from central.assets.views import bp as assets_bp
    from central.assets.views import leaflet as leaflet_bp
    from central.core.api import api
    from central.fieldwork.views import bp as fieldwork_bp
    from central.frameworks.views import bp as frameworks_bp
    from central.jobs.views import bp as jobs_bp
    from central.organisations.views import bp as organisations_bp
    from central.pages import bp as pages_bp
    from central.planning.views import bp as planning_bp
    from central.reports.views import bp as reports_bp

    app.register_blueprint(pages_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(organisations_bp)
    app.register_blueprint(frameworks_bp)
    app.register_blueprint(assets_bp)
    app.register_blueprint(leaflet_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(hydrants_bp)
    app.register_blueprint(jobs_bp)
    app.register_blueprint(fieldwork_bp)
    app.register_blueprint(planning_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(api)


def register_request_hooks(app: Flask) -> None:
    from central.core import logs
    from central.core.security import set_security_headers

    logs.configure(app)

    app.after_request(set_security_headers)
    from central.i18n import set_content_language

    app.after_request(set_content_language)

    @app.before_request
    def remember_language() -> None:
        g.locale = session.get("lang")

    @app.teardown_appcontext
    def end_session(_exc: BaseException | None) -> None:
        """End the request's session before Flask-SQLAlchemy does (teardowns run last-registered
        first): a connection the database dropped at the very end (a restart) must not turn an
        answered request into a server error; the connection is discarded instead."""
        import contextlib

        from sqlalchemy.exc import DBAPIError

        from central.extensions import db

        try:
            db.session.remove()
        except DBAPIError as exc:
            app.logger.warning("connection lost at the end of a request: %s", exc.orig)
            with contextlib.suppress(Exception):
                db.session.invalidate()
            db.session.registry.clear()

    @app.url_value_preprocessor
    def ids_in_range(_endpoint: str | None, values: dict[str, Any] | None) -> None:
        """An id in a path that no row can have (ids are 32-bit integers) answers 404 before
        the database is asked (PostgreSQL would refuse the number)."""
        from flask import abort

        for value in (values or {}).values():
            if isinstance(value, int) and not MIN_ID <= value <= MAX_ID:
                abort(404)


def register_template_helpers(app: Flask) -> None:
    from flask_babel import get_locale

    from central.core.money import format_money
    from central.core.permissions import can

    @app.template_filter("money")
    def money_filter(amount):
        return format_money(amount, str(get_locale() or "nl"))

    from central.core import formatting

    # One style for each kind of value on every page (nl-BE / en-GB, Brussels time).
    app.add_template_filter(formatting.format_day, "day")
    app.add_template_filter(formatting.format_moment, "moment")
    app.add_template_filter(formatting.format_number, "number")
    app.add_template_filter(formatting.format_percent, "percent")
    app.add_template_filter(formatting.format_km, "km")
    app.add_template_filter(formatting.format_months, "months")

    from central.accounts.models import Role
    from central.labels import (
        flash_label,
        organisation_kind_label,
        result_label,
        role_label,
        round_status_label,
        service_status_label,
        social_status_label,
        status_change_reason_label,
        task_status_label,
        unit_label,
    )

    # Templates compare roles with the enum (`user.role == Role.COORDINATOR`), as the code does.
    app.jinja_env.globals["Role"] = Role

    @app.context_processor
    def inject() -> dict[str, Any]:
        return {
            "role_label": role_label,
            "flash_label": flash_label,
            "social_status_label": social_status_label,
            "organisation_kind_label": organisation_kind_label,
            "service_status_label": service_status_label,
            "status_change_reason_label": status_change_reason_label,
            "result_label": result_label,
            "round_status_label": round_status_label,
            "task_status_label": task_status_label,
            "unit_label": unit_label,
            "current_locale": str(get_locale() or "nl"),
            "languages": app.config["LANGUAGES"],
            "can": can,
            "user": current_user,
            # Every map's base tiles and their attribution (empty: no tiles, points only).
            "map_tiles": {
                "url": app.config.get("MAP_TILE_URL") or "",
                "attribution": app.config.get("MAP_TILE_ATTRIBUTION") or "",
            },
        }


def register_commands(app: Flask) -> None:
    from central.commands import register

    register(app)
