"""The public report link of an asset (SPEC 7.4): /r/<token>, built on PUBLIC_BASE_URL, and
the page behind it, where anyone reports a problem without signing in."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    has_request_context,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _

from central.assets import public_reports
from central.assets.forms import PublicReportForm
from central.core.errors import N_, DomainError, ValidationError
from central.core.forms import form_error, rule_errors
from central.extensions import db, limiter
from central.fieldwork.photos import PHOTO_MAX_BYTES

PUBLIC_PATH = "/r/"


def public_url(asset) -> str:
    """The asset's public report URL: PUBLIC_BASE_URL (the address the public reaches) followed
    by /r/<token>; without it, this server's own address."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if base:
        return f"{base}{PUBLIC_PATH}{asset.public_token}"
    if has_request_context():
        base = request.host_url.rstrip("/")
    return f"{base}{PUBLIC_PATH}{asset.public_token}"


# --- the public report page ------------------------------------------------------------------

bp = Blueprint("public", __name__)


def _setting(name: str):
    """A limit read from the settings at each request (tests and deployments change it)."""
    return lambda: current_app.config[name]


def _asset_key() -> str:
    """The per-asset limit's key: the token names the asset (a rotated link starts afresh)."""
    return "public-report-asset:" + str((request.view_args or {}).get("token", ""))


def _photo_upload() -> bytes | None:
    """The optional photo, at most 10 MB (read no further than that)."""
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        return None
    data = upload.stream.read(PHOTO_MAX_BYTES + 1)
    if len(data) > PHOTO_MAX_BYTES:
        raise ValidationError(
            N_("The photo is larger than 10 MB."), fields={"photo": N_("At most 10 MB.")}
        )
    return data or None


def _private(response: Response) -> Response:
    """The token is the page's secret: not sent on as a referrer, not cached, not indexed."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _page(template: str, status: int = 200, **context) -> Response:
    return _private(make_response(render_template(template, **context), status))


@bp.route("/r/<token>", methods=["GET", "POST"])
@limiter.limit(_setting("RATELIMIT_PUBLIC_PAGE"))
@limiter.limit(_setting("RATELIMIT_PUBLIC_REPORT"), methods=["POST"])
@limiter.limit(_setting("RATELIMIT_PUBLIC_REPORT_ASSET"), methods=["POST"], key_func=_asset_key)
def report(token: str):
    """A phone page without sign-in: report a problem with this hydrant. A retired one's link
    says so (410); an unknown token is 404. Only this asset's code and place are shown."""
    asset = public_reports.asset_by_token(token)
    kind = asset.asset_kind.name(str(get_locale() or "nl")) if asset.asset_kind else asset.kind
    if not asset.is_active:
        return _page("public/retired.html", 410, asset=asset, kind=kind)
    form = PublicReportForm()
    form.category.choices = [("", _("Choose…"))] + [
        (key, str(label)) for key, label in public_reports.CATEGORIES.items()
    ]
    if form.validate_on_submit():
        try:
            public_reports.report_problem(
                asset,
                category=form.category.data,
                text=form.text.data,
                email=form.email.data,
                photo=_photo_upload(),
            )
        except DomainError as exc:
            db.session.rollback()
            status = form_error(form, exc)
            return _page("public/report.html", status, form=form, asset=asset, kind=kind)
        db.session.commit()
        return _private(redirect(url_for("public.thanks", token=token)))
    if form.errors:
        # The report's rules too, all at once (its photo is not stored for a trial).
        rule_errors(
            form,
            lambda: public_reports.report_problem(
                asset, category=form.category.data, text=form.text.data, email=form.email.data
            ),
        )
    status = 400 if form.errors else 200
    return _page("public/report.html", status, form=form, asset=asset, kind=kind)


@bp.route("/r/<token>/thanks")
@limiter.limit(_setting("RATELIMIT_PUBLIC_PAGE"))
def thanks(token: str):
    asset = public_reports.asset_by_token(token)
    return _page("public/thanks.html", asset=asset)
