"""Pages every visitor meets: the home page by role, the language switch, accessibility, and the
service worker that keeps crews' field-work pages on their phones."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import HiddenField, SelectField

from central.accounts.models import Role
from central.core.forms import CentralForm
from central.core.security import safe_next_url
from central.extensions import db

bp = Blueprint("pages", __name__)


class LanguageForm(CentralForm):
    lang = SelectField(choices=[("nl", "Nederlands"), ("en", "English")])
    next = HiddenField()


@bp.app_context_processor
def language_form() -> dict:
    return {"language_form": LanguageForm(formdata=None, next=request.full_path.rstrip("?"))}


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    return render_template("pages/home.html", platform=_platform_counts())


def _platform_counts() -> dict[str, int] | None:
    """What the platform administrator looks after, at a glance."""
    if current_user.role != Role.ADMIN:
        return None
    from central.accounts.models import User
    from central.organisations.models import Organisation

    kinds = dict(
        db.session.execute(
            select(Organisation.kind, func.count(Organisation.id)).group_by(Organisation.kind)
        ).all()
    )
    active = dict(
        db.session.execute(select(User.active, func.count(User.id)).group_by(User.active)).all()
    )
    return {
        "authorities": kinds.get("authority", 0),
        "providers": kinds.get("provider", 0),
        "active_users": active.get(True, 0),
        "inactive_users": active.get(False, 0),
    }


@bp.route("/language", methods=["POST"])
def set_language():
    form = LanguageForm()
    if not form.validate_on_submit() or form.lang.data not in current_app.config["LANGUAGES"]:
        abort(400)
    session["lang"] = form.lang.data
    if current_user.is_authenticated:
        current_user.locale = form.lang.data
        db.session.commit()
    return redirect(safe_next_url(form.next.data) or url_for("pages.home"))


@bp.route("/healthz")
def healthz():
    """For load balancers: 200 when the database answers and is migrated to this code's head,
    503 otherwise. No sign-in, no data: only which check failed."""
    from central.core import health

    checks = health.check(current_app.extensions["migrate"].directory)
    healthy = all(value == "ok" for value in checks.values())
    response = jsonify({"status": "ok" if healthy else "unavailable", **checks})
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/accessibility")
@bp.route("/toegankelijkheid", endpoint="accessibility_nl")
def accessibility():
    return render_template("pages/accessibility.html")


@bp.route("/favicon.ico")
def favicon():
    """The site icon at the address browsers ask for by themselves."""
    return send_from_directory(
        current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=86400
    )


@bp.route("/sw.js")
def service_worker():
    """The service worker (central/static/js/field-sw.js), served from the root so that it may
    answer for /field/ and /static/; never cached by the browser's HTTP cache, so that a new
    version is picked up at once."""
    response = send_from_directory(
        current_app.static_folder, "js/field-sw.js", mimetype="text/javascript", max_age=0
    )
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response
