"""Pages: the admin's list of organisations and the organisation form."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from central.accounts.models import Role
from central.core.errors import N_, DomainError, NotFound
from central.core.forms import form_error, rule_errors
from central.core.pagination import paginate
from central.core.permissions import get_visible_for, require_role
from central.extensions import db
from central.organisations import services, succession
from central.organisations.forms import (
    OrganisationForm,
    RecognitionCompletionForm,
    RecognitionForm,
    SuccessionForm,
)
from central.organisations.models import Organisation, Recognition
from central.organisations.reach import visible_organisations

bp = Blueprint("organisations", __name__, url_prefix="/admin/organisations")


@bp.route("")
@login_required
def index():
    require_role(current_user, Role.ADMIN)
    query = (request.args.get("q") or "").strip()
    kind = request.args.get("kind") or ""
    stmt = visible_organisations(current_user).order_by(Organisation.name, Organisation.id)
    if query:
        stmt = stmt.where(Organisation.name.icontains(query, autoescape=True))
    if kind in ("authority", "provider", "fire_zone", "water_company"):
        stmt = stmt.where(Organisation.kind == kind)
    return render_template("organisations/index.html", page=paginate(stmt), q=query, kind=kind)


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:org_id>", methods=["GET", "POST"])
@login_required
def edit(org_id: int | None = None):
    require_role(current_user, Role.ADMIN)
    org = get_visible_for(current_user, Organisation, org_id) if org_id else None
    form = OrganisationForm(obj=org)

    def save() -> Organisation:
        # An authority names its fire zone and water company itself (on its own page).
        values = {name: form[name].data for name in services.FIELDS if name in form}
        if org is None:
            return services.create_organisation(values, actor=current_user)
        return services.update_organisation(org, values, actor=current_user)

    if form.validate_on_submit():
        try:
            org = save()
        except DomainError as exc:
            status = form_error(form, exc)
            return render_template("organisations/form.html", form=form, org=org), status
        db.session.commit()
        flash(_("%(name)s is saved.", name=org.name), "success")
        return redirect(url_for("organisations.index"))
    if form.errors:
        rule_errors(form, save)
        return render_template("organisations/form.html", form=form, org=org), 400
    return render_template("organisations/form.html", form=form, org=org)


@bp.route("/<int:org_id>/recognitions", methods=["GET", "POST"])
@login_required
def recognitions(org_id: int):
    """SPEC 7.2: a provider's social-economy recognitions, and the admin's form to add one."""
    require_role(current_user, Role.ADMIN)
    org = get_visible_for(current_user, Organisation, org_id)
    form = RecognitionForm()
    if form.validate_on_submit():
        values = {name: form[name].data for name in ("status", "number", "valid_from")}
        values["valid_until"] = form.valid_until.data or None
        try:
            services.add_recognition(org, values, actor=current_user)
        except DomainError as exc:
            status = form_error(form, exc)
            return render_template("organisations/recognitions.html", form=form, org=org), status
        db.session.commit()
        flash(_("The recognition of %(name)s is saved.", name=org.name), "success")
        return redirect(url_for("organisations.recognitions", org_id=org.id))
    return render_template("organisations/recognitions.html", form=form, org=org)


@bp.route("/<int:org_id>/recognitions/<int:recognition_id>", methods=["GET", "POST"])
@login_required
def complete_recognition(org_id: int, recognition_id: int):
    """SPEC 7.2: the admin completes a recognition's number or sets its end (as PATCH does)."""
    require_role(current_user, Role.ADMIN)
    org = get_visible_for(current_user, Organisation, org_id)
    recognition = db.session.get(Recognition, recognition_id)
    if recognition is None or recognition.organisation_id != org.id:
        raise NotFound(N_("No such recognition."))
    form = RecognitionCompletionForm()
    if request.method == "GET":
        form.number.data = recognition.number or ""
        form.valid_until.data = (
            recognition.valid_until.isoformat() if recognition.valid_until else ""
        )
    if form.validate_on_submit():
        values = {"number": form.number.data, "valid_until": form.valid_until.data or None}
        try:
            services.update_recognition(recognition, values, actor=current_user)
        except DomainError as exc:
            status = form_error(form, exc)
            return (
                render_template(
                    "organisations/recognition_form.html",
                    form=form,
                    org=org,
                    recognition=recognition,
                ),
                status,
            )
        db.session.commit()
        flash(_("The recognition of %(name)s is saved.", name=org.name), "success")
        return redirect(url_for("organisations.recognitions", org_id=org.id))
    return render_template(
        "organisations/recognition_form.html", form=form, org=org, recognition=recognition
    )


@bp.route("/<int:org_id>/succession", methods=["GET", "POST"])
@login_required
def succeed(org_id: int):
    """SPEC 7.2: record a municipal merger, in two steps: what moves is shown first (nothing
    written), then confirmed."""
    require_role(current_user, Role.ADMIN)
    org = get_visible_for(current_user, Organisation, org_id)
    form = SuccessionForm()
    form.successor_id.choices = [(0, "—")] + [
        (o.id, o.name)
        for o in db.session.scalars(
            select(Organisation)
            .where(
                Organisation.kind == "authority",
                Organisation.id != org.id,
                Organisation.succeeded_by_id.is_(None),
            )
            .order_by(Organisation.name)
        )
    ]
    if org.succeeded_by_id is not None or not form.validate_on_submit():
        return render_template("organisations/succession.html", form=form, org=org, plan=None)
    values = {
        "successor_id": form.successor_id.data,
        "effective_date": form.effective_date.data,
        "code_prefix": form.code_prefix.data,
    }
    try:
        if request.form.get("confirm") != "1":
            plan = succession.plan_succession(org, values)
            return render_template("organisations/succession.html", form=form, org=org, plan=plan)
        succession.record_succession(org, values, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        status = form_error(form, exc)
        return (
            render_template("organisations/succession.html", form=form, org=org, plan=None),
            status,
        )
    db.session.commit()
    flash(_("%(name)s is recorded as succeeded.", name=org.name), "success")
    return redirect(url_for("organisations.edit", org_id=org.id))
