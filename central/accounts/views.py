"""Pages: sign-in and out, passwords, personal API tokens, and the admin's user accounts."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from central.accounts import services, sessions, two_factor
from central.accounts.forms import (
    ChangePasswordForm,
    CodeForm,
    ConfirmForm,
    EnrolForm,
    ForgotPasswordForm,
    LoginForm,
    ResetPasswordForm,
    TokenForm,
    UserForm,
)
from central.accounts.models import Role, User
from central.accounts.reach import visible_users
from central.core.audit import AuditEvent
from central.core.errors import DomainError, ValidationError
from central.core.forms import form_error, rule_errors
from central.core.limits import password_reset_limit, sign_in_limit
from central.core.mail import send_mail
from central.core.pagination import paginate
from central.core.permissions import get_visible_for, require_role
from central.core.security import safe_next_url
from central.extensions import db
from central.labels import AUDIT_OBJECT_LABELS
from central.organisations.models import Organisation

bp = Blueprint("accounts", __name__)


# The half-signed-in state between the password and the second factor: the session names the
# user but nobody is logged in, so no page or API call is reachable from it.
PENDING_KEY = "two_factor_pending"
PENDING_MAX_AGE = 10 * 60  # seconds from the password to the code


def _delayed_message(delayed: services.SignInDelayed) -> str:
    minutes = -(-delayed.seconds_left // 60)
    return ngettext(
        "Too many wrong codes in a row. Try again in %(num)d minute.",
        "Too many wrong codes in a row. Try again in %(num)d minutes.",
        minutes,
    )


def _delayed(delayed: services.SignInDelayed) -> tuple:
    """Too many wrong codes (after the right password, so the account is known to the caller):
    back to the sign-in form, with how long to wait."""
    db.session.commit()
    flash(_delayed_message(delayed), "error")
    form = LoginForm(formdata=None)
    return render_template("accounts/login.html", form=form), 429


@bp.route("/login", methods=["GET", "POST"])
@sign_in_limit
def login():
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        db.session.commit()
        next_url = safe_next_url(request.args.get("next"))
        if user is None:
            # One answer for an unknown address, a wrong password and a slowed-down account:
            # none says whether the account exists.
            flash(
                _(
                    "The e-mail address or password is not correct. After %(num)d wrong "
                    "passwords in a row, an account waits a few minutes before it accepts one.",
                    num=current_app.config["LOGIN_FAILURES_BEFORE_DELAY"],
                ),
                "error",
            )
            status = 401
        elif user.two_factor_required:
            session[PENDING_KEY] = {
                "user": user.id,
                "version": user.session_version,
                "next": next_url,
                "at": int(time.time()),
            }
            if two_factor.is_enrolled(user):
                return redirect(url_for("accounts.login_code"))
            return redirect(url_for("accounts.enrol_two_factor"))
        else:
            session.pop(PENDING_KEY, None)
            login_user(user)
            sessions.start(user)
            db.session.commit()
            return redirect(next_url or url_for("pages.home"))
    elif form.is_submitted():
        status = 400
    return render_template("accounts/login.html", form=form), status


def _pending_user() -> User | None:
    """The user between password and code, while the state is fresh and the account unchanged."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    user = db.session.get(User, pending.get("user") or 0)
    if (
        user is None
        or not user.active
        or user.session_version != pending.get("version")
        or time.time() - pending.get("at", 0) > PENDING_MAX_AGE
    ):
        session.pop(PENDING_KEY, None)
        return None
    return user


def _sign_in_again() -> Response:
    flash(_("Sign in again with your e-mail address and password."), "info")
    return redirect(url_for("accounts.login"))


def _finish_sign_in(user: User) -> str:
    """Log the user in after the second factor; returns where to go next."""
    pending = session.pop(PENDING_KEY, None) or {}
    login_user(user)
    sessions.start(user)
    db.session.commit()
    return safe_next_url(pending.get("next")) or url_for("pages.home")


def _check_code(form: Any, user: User, check: Callable[[User, str], Any]) -> tuple[bool, Any]:
    """A second-factor form's code checked with `check(user, code)`: (True, what it returned)
    once it passed; otherwise (False, the page's status), or (False, the answer) when sign-in is
    delayed. A wrong code stays counted."""
    if not form.validate_on_submit():
        return False, 400 if form.is_submitted() else 200
    try:
        result = check(user, form.code.data)
    except services.SignInDelayed as delayed:
        session.pop(PENDING_KEY, None)
        return False, _delayed(delayed)
    except DomainError as exc:
        db.session.commit()  # the wrong code stays counted
        status = form_error(form, exc)
        return False, 401 if isinstance(exc, ValidationError) else status
    db.session.commit()
    return True, result


@bp.route("/login/code", methods=["GET", "POST"])
@sign_in_limit
def login_code():
    """The second sign-in step: a code from the app or a recovery code."""
    user = _pending_user()
    if user is None:
        return _sign_in_again()
    if not two_factor.is_enrolled(user):
        return redirect(url_for("accounts.enrol_two_factor"))
    form = CodeForm()
    passed, outcome = _check_code(form, user, two_factor.verify_sign_in_code)
    if not passed:
        if isinstance(outcome, tuple):  # sign-in delayed
            return outcome
        return render_template("accounts/login_code.html", form=form), outcome
    next_url = _finish_sign_in(user)
    if outcome == "recovery_code":
        left = two_factor.recovery_codes_left(user)
        flash(
            ngettext(
                "You signed in with a recovery code. You have %(num)d left.",
                "You signed in with a recovery code. You have %(num)d left.",
                left,
            ),
            "info",
        )
    return redirect(next_url)


@bp.route("/login/enrol", methods=["GET", "POST"])
def enrol_two_factor():
    """First sign-in of a role that needs a second factor: set up the app, confirm a first code,
    and see the recovery codes once."""
    user = _pending_user()
    if user is None:
        return _sign_in_again()
    if two_factor.is_enrolled(user):
        return redirect(url_for("accounts.login_code"))
    credential = two_factor.start_enrolment(user)
    db.session.commit()
    form = EnrolForm()
    passed, outcome = _check_code(form, user, two_factor.confirm_enrolment)
    if passed:
        next_url = _finish_sign_in(user)
        return render_template("accounts/recovery_codes.html", codes=outcome, next_url=next_url)
    if isinstance(outcome, tuple):
        return outcome
    status = outcome
    uri = two_factor.provisioning_uri(user, credential)
    return render_template(
        "accounts/enrol.html",
        form=form,
        secret=two_factor.grouped_secret(credential.secret),
        qr_code=two_factor.qr_code_data_uri(uri),
    ), status


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def two_factor_settings():
    """The signed-in user's second factor: how many recovery codes are left, and new ones."""
    if not current_user.two_factor_required:
        abort(404)
    user = current_user._get_current_object()
    form = CodeForm()
    form.code.label.text = _("Code from the app")
    form.code.description = _("To make new recovery codes, enter the current code from your app.")
    status = 200
    if form.validate_on_submit():
        try:
            codes = two_factor.renew_recovery_codes(user, form.code.data)
        except services.SignInDelayed as delayed:
            db.session.commit()  # the count and the delay outlive this request
            form.code.errors.append(_delayed_message(delayed))
            status = 429
        except DomainError as exc:
            db.session.commit()  # the wrong code stays counted
            status = form_error(form, exc)
        else:
            db.session.commit()
            return render_template(
                "accounts/recovery_codes.html",
                codes=codes,
                next_url=url_for("accounts.two_factor_settings"),
            )
    return render_template(
        "accounts/two_factor.html",
        form=form,
        credential=two_factor.credential(user),
        left=two_factor.recovery_codes_left(user),
    ), status


@bp.route("/logout", methods=["POST"])
def logout():
    if ConfirmForm().validate_on_submit():
        session.pop(PENDING_KEY, None)
        sessions.end(current_user._get_current_object() if current_user.is_authenticated else None)
        db.session.commit()
        logout_user()
        flash(_("You are signed out."), "info")
    return redirect(url_for("accounts.login"))


def _tokens_revoked(count: int) -> str:
    return ngettext(
        "Your API token is revoked with the old password; make a new one under API tokens.",
        "Your %(num)d API tokens are revoked with the old password; make new ones under API "
        "tokens.",
        count,
    )


@bp.route("/password/forgot", methods=["GET", "POST"])
@password_reset_limit
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = services.user_by_email(form.email.data)
        if user is not None and user.active:
            link = url_for(
                "accounts.reset_password", token=services.make_reset_token(user), _external=True
            )
            minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
            send_mail(
                user.email,
                _("Reset your Central password"),
                _(
                    "Someone asked to reset the password of your Central account.\n\n"
                    "Open this link within %(minutes)d minutes to choose a new password:\n"
                    "%(link)s\n\nA new password signs you out everywhere and revokes your "
                    "API tokens.\n\nIf it was not you, ignore this mail; your password stays.",
                    minutes=minutes,
                    link=link,
                ),
            )
        # The same answer whether or not the account exists: the page leaks no addresses.
        flash(_("If an account exists for that address, we have sent it a reset link."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@password_reset_limit
def reset_password(token: str):
    user = services.user_for_reset_token(token)
    if user is None:
        flash(_("This reset link is invalid or has expired. Ask for a new one."), "error")
        return redirect(url_for("accounts.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            revoked = services.reset_password(user, form.password.data)
        except DomainError as exc:
            status = form_error(form, exc)
            return render_template("accounts/reset.html", form=form), status
        db.session.commit()
        flash(_("Your password is changed. Sign in with the new one."), "success")
        if revoked:
            flash(_tokens_revoked(revoked), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form), 400 if form.errors else 200


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            revoked = services.change_password(user, form.current_password.data, form.password.data)
        except DomainError as exc:
            status = form_error(form, exc)
            return render_template("accounts/password.html", form=form), status
        db.session.commit()
        login_user(user)  # this session carries the new session version; the others end
        flash(_("Your password is changed."), "success")
        if revoked:
            flash(_tokens_revoked(revoked), "info")
        return redirect(url_for("pages.home"))
    return render_template("accounts/password.html", form=form), 400 if form.errors else 200


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    form = TokenForm()
    new_secret = None
    if form.validate_on_submit():
        try:
            _token, new_secret = services.create_token(current_user, form.name.data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            db.session.commit()
            form = TokenForm(formdata=None)
    page = paginate(services.own_tokens_query(current_user))
    return render_template(
        "accounts/tokens.html", form=form, page=page, new_secret=new_secret, confirm=ConfirmForm()
    )


@bp.route("/tokens/<int:token_id>/revoke", methods=["GET", "POST"])
@login_required
def revoke_token(token_id: int):
    token = services.own_token(current_user, token_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        services.revoke_token(token, actor=current_user)
        db.session.commit()
        flash(_("The token is revoked."), "success")
        return redirect(url_for("accounts.tokens"))
    return render_template("accounts/revoke_token.html", token=token, form=form)


def _organisation_choices():
    orgs = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    return [(0, _("— none (administrator) —"))] + [(o.id, o.name) for o in orgs]


@bp.route("/admin/users")
@login_required
def users():
    require_role(current_user, Role.ADMIN)
    query = (request.args.get("q") or "").strip().lower()
    stmt = visible_users(current_user).order_by(User.email)
    if query:
        stmt = stmt.where(User.email.contains(query, autoescape=True))
    page = paginate(stmt)
    enrolled = two_factor.enrolled_user_ids([u.id for u in page.items])
    return render_template("accounts/users.html", page=page, q=query, enrolled=enrolled)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def edit_user(user_id: int | None = None):
    require_role(current_user, Role.ADMIN)
    user = get_visible_for(current_user, User, user_id) if user_id else None
    form = UserForm(obj=user)
    form.organisation_id.choices = _organisation_choices()
    if request.method == "GET" and user is not None:
        form.organisation_id.data = user.organisation_id or 0

    def save() -> User:
        values = {
            "email": form.email.data,
            "role": form.role.data,
            "organisation_id": form.organisation_id.data or None,
            "active": form.active.data,
        }
        if form.password.data:
            values["password"] = form.password.data
        if user is None:
            return services.create_user(actor=current_user, **values)[0]
        return services.update_user(user, values, actor=current_user)

    status = 200
    if form.validate_on_submit():
        try:
            user = save()
        except DomainError as exc:
            status = form_error(form, exc)
            return render_template(
                "accounts/user_form.html", form=form, user=user, enrolled=_enrolled(user)
            ), status
        db.session.commit()
        flash(_("The account %(email)s is saved.", email=user.email), "success")
        return redirect(url_for("accounts.users"))
    if form.errors:
        rule_errors(form, save)
        status = 400
    return render_template(
        "accounts/user_form.html", form=form, user=user, enrolled=_enrolled(user)
    ), status


def _enrolled(user: User | None) -> bool:
    return user is not None and two_factor.is_enrolled(user)


@bp.route("/admin/users/<int:user_id>/deactivate", methods=["GET", "POST"])
@login_required
def deactivate_user(user_id: int):
    require_role(current_user, Role.ADMIN)
    user = get_visible_for(current_user, User, user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.update_user(user, {"active": not user.active}, actor=current_user)
        except DomainError as exc:
            form_error(form, exc)
            return render_template("accounts/deactivate.html", form=form, target=user), exc.status
        db.session.commit()
        flash(
            _("The account is deactivated.")
            if not user.active
            else _("The account is active again."),
            "success",
        )
        return redirect(url_for("accounts.users"))
    if request.method == "POST":
        abort(400)
    return render_template("accounts/deactivate.html", form=form, target=user)


@bp.route("/admin/users/<int:user_id>/two-factor/reset", methods=["GET", "POST"])
@login_required
def reset_two_factor(user_id: int):
    """The administrator removes a user's second factor (a lost phone); confirmation first."""
    require_role(current_user, Role.ADMIN)
    user = get_visible_for(current_user, User, user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            two_factor.reset_two_factor(user, actor=current_user)
        except DomainError as exc:
            form_error(form, exc)
            return render_template(
                "accounts/reset_two_factor.html", form=form, target=user
            ), exc.status
        db.session.commit()
        flash(_("Two-factor sign-in of %(email)s is reset.", email=user.email), "success")
        return redirect(url_for("accounts.edit_user", user_id=user.id))
    if request.method == "POST":
        abort(400)
    return render_template("accounts/reset_two_factor.html", form=form, target=user)


@bp.route("/admin/audit")
@login_required
def audit_trail():
    """Every recorded state change, newest first; filter by kind of object, object or actor."""
    require_role(current_user, Role.ADMIN)
    object_type = (request.args.get("object_type") or "").strip()
    object_id = request.args.get("object_id", type=int)
    actor = (request.args.get("actor") or "").strip().lower()
    stmt = (
        select(AuditEvent, User.email)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    )
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    if object_id is not None:
        stmt = stmt.where(AuditEvent.object_id == object_id)
    if actor:
        stmt = stmt.where(User.email.contains(actor, autoescape=True))
    object_types = db.session.scalars(
        select(AuditEvent.object_type).distinct().order_by(AuditEvent.object_type)
    ).all()
    return render_template(
        "accounts/audit.html",
        page=paginate(stmt, scalars=False),
        object_types=object_types,
        audit_object_label=lambda table: str(AUDIT_OBJECT_LABELS.get(table, table)),
        filters={"object_type": object_type, "object_id": object_id, "actor": actor},
    )
