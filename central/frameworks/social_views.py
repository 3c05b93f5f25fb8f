"""An award's social page (SPEC 7.3, Ghent): for the lead coordinator the lot's social clause
against realised, the award's social-economy subcontractors (record, end) and its provider's
action plan (approve, follow: plan against realised, late actions flagged, evidence); for the
award's provider the same figures, its plan to file (rows, every error at once) and, once
approved, realisation and evidence per quarter. One address for every form, so that a file over
the limit comes back to this page saying the limit (§7.6)."""

from __future__ import annotations

import re
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from central.accounts.models import Role
from central.core.clock import today
from central.core.errors import DomainError
from central.core.forms import form_error
from central.core.permissions import get_visible
from central.extensions import db
from central.frameworks import action_plans, subcontracting
from central.frameworks.blueprint import bp
from central.frameworks.models import Award
from central.frameworks.reach import leads_framework, plan_awards
from central.frameworks.social_forms import (
    EMPTY_ACTION_ROWS,
    DecisionForm,
    EvidenceForm,
    PlanForm,
    RealisationForm,
    SubcontractorForm,
)
from central.organisations.models import Organisation, OrganisationKind

ROW_ERROR = re.compile(r"^actions\.(\d+)\.(\w+)$")


def _award(award_id: int) -> Award:
    return get_visible(plan_awards(current_user), Award, award_id)


def _subcontractor_form(award: Award, **kwargs: Any) -> SubcontractorForm:
    form = SubcontractorForm(**kwargs)
    day = today()
    providers = db.session.scalars(
        select(Organisation)
        .where(Organisation.kind == OrganisationKind.PROVIDER, Organisation.id != award.provider_id)
        .order_by(Organisation.name)
    )
    form.organisation_id.choices = [("", "—")] + [
        (str(o.id), o.name) for o in providers if o.is_recognised_on(day)
    ]
    form.task_types.choices = [(t.code, t.name) for t in award.lot.task_types]
    return form


def _evidence_form(item: Any, **kwargs: Any) -> EvidenceForm:
    form = EvidenceForm(**kwargs)
    form.action_id.data = str(item.action.id)
    superseded = action_plans.superseded_ids(item.evidence)
    form.supersedes.choices = [("", "—")] + [
        (str(e.id), f"{e.filename} ({action_plans.quarter_label(e.year, e.quarter)})")
        for e in item.evidence
        if e.id not in superseded
    ]
    return form


def _page(award: Award, status: int = 200, **forms: Any):
    progress = action_plans.progress(award)
    leads = leads_framework(current_user, award.lot.framework)
    provider = (
        current_user.role == Role.PROVIDER and current_user.organisation_id == award.provider_id
    )
    plan = progress["plan"]
    year, quarter = action_plans.quarter_of(today())
    realisation_forms, evidence_forms = {}, {}
    for item in progress["actions"]:
        action_id = item.action.id
        realisation_forms[action_id] = forms.get(f"realisation-{action_id}") or RealisationForm(
            formdata=None, action_id=str(action_id), year=str(year), quarter=str(quarter)
        )
        evidence_forms[action_id] = forms.get(f"evidence-{action_id}") or _evidence_form(
            item, formdata=None, year=str(year), quarter=str(quarter)
        )
    plan_form = forms.get("plan")
    if plan_form is None and provider and (plan is None or plan.status != "approved"):
        rows = [
            {
                "kind": a.kind,
                "target": format(a.target.normalize(), "f"),
                "unit": a.unit,
                "due_date": a.due_date.isoformat(),
                "description": a.description,
            }
            for a in (plan.actions if plan is not None else [])
        ]
        plan_form = PlanForm(formdata=None, data={"actions": rows})
        while len(plan_form.actions) < max(len(rows) + 1, EMPTY_ACTION_ROWS):
            plan_form.actions.append_entry()
    return (
        render_template(
            "frameworks/award_social.html",
            award=award,
            lot=award.lot,
            framework=award.lot.framework,
            progress=progress,
            leads=leads,
            provider=provider,
            subcontractor_form=forms.get("subcontractor")
            or (_subcontractor_form(award, formdata=None) if leads else None),
            plan_form=plan_form,
            decision=DecisionForm(formdata=None),
            realisation_forms=realisation_forms,
            evidence_forms=evidence_forms,
            superseded=set().union(
                *(action_plans.superseded_ids(i.evidence) for i in progress["actions"])
            ),
            today_date=today(),
        ),
        status,
    )


def _done(award: Award, message: str, anchor: str):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("frameworks.award_social", award_id=award.id) + f"#{anchor}")


def _plan_errors(form: PlanForm, exc: DomainError, indexes: list[int]) -> None:
    """The service's `actions.N.field` messages next to the row's field (N counts filled rows)."""
    rest = {}
    for name, messages in exc.fields.items():
        match = ROW_ERROR.match(name)
        if match and int(match.group(1)) < len(indexes):
            row = form.actions[indexes[int(match.group(1))]].form
            field = getattr(row, match.group(2), None)
            if field is not None:
                field.errors = [*list(field.errors), *[exc.translated(m) for m in messages]]
                continue
        rest[name] = messages
    if rest or not exc.fields:
        flash(exc.translated(), "error")


@bp.route("/awards/<int:award_id>/social", methods=["GET", "POST"])
@login_required
def award_social(award_id: int):
    award = _award(award_id)
    if request.method == "GET":
        return _page(award)
    kind = request.form.get("form_name")
    handlers = {
        "subcontractor": _post_subcontractor,
        "end": _post_end,
        "plan": _post_plan,
        "approve": _post_approve,
        "realisation": _post_realisation,
        "evidence": _post_evidence,
    }
    if kind not in handlers:
        abort(400)
    return handlers[kind](award)


def _post_subcontractor(award: Award):
    form = _subcontractor_form(award)
    if not form.validate_on_submit():
        return _page(award, 400, subcontractor=form)
    try:
        subcontracting.add_subcontractor(award, form.values(), actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        status = form_error(form, exc)
        return _page(award, status, subcontractor=form)
    return _done(award, _("The subcontractor is recorded."), "subcontractors")


def _post_end(award: Award):
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    sub = next(
        (
            s
            for s in subcontracting.subcontractors_of(award)
            if str(s.id) == form.subcontractor_id.data
        ),
        None,
    )
    if sub is None:
        abort(404)
    try:
        subcontracting.end_subcontractor(sub, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.translated(), "error")
        return _page(award, exc.status)
    return _done(award, _("The subcontracting has ended."), "subcontractors")


def _post_plan(award: Award):
    form = PlanForm()
    if not form.validate_on_submit():
        return _page(award, 400, plan=form)
    values, indexes = form.values()
    try:
        action_plans.file_plan(award, values, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        _plan_errors(form, exc, indexes)
        return _page(award, exc.status, plan=form)
    return _done(award, _("The action plan is filed."), "plan")


def _post_approve(award: Award):
    form = DecisionForm()
    plan = action_plans.plan_of(award)
    if not form.validate_on_submit() or plan is None:
        abort(400)
    try:
        action_plans.approve_plan(plan, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.translated(), "error")
        return _page(award, exc.status)
    return _done(award, _("The action plan is approved."), "plan")


def _action_of(award: Award, raw: str | None):
    plan = action_plans.plan_of(award)
    action = next((a for a in (plan.actions if plan else []) if str(a.id) == raw), None)
    if action is None:
        abort(404)
    return action


def _post_realisation(award: Award):
    form = RealisationForm()
    action = _action_of(award, form.action_id.data)
    key = f"realisation-{action.id}"
    if not form.validate_on_submit():
        return _page(award, 400, **{key: form})
    values = {
        "year": form.year.data,
        "quarter": form.quarter.data,
        "realised": form.realised.data,
        "note": form.note.data,
    }
    try:
        action_plans.report_realisation(action, values, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        status = form_error(form, exc)
        return _page(award, status, **{key: form})
    return _done(award, _("The realisation is reported."), f"action-{action.id}")


def _post_evidence(award: Award):
    from central.fieldwork import photos

    form = EvidenceForm()
    action = _action_of(award, form.action_id.data)
    item = next(i for i in action_plans.actions_progress(action.plan) if i.action.id == action.id)
    form.supersedes.choices = _evidence_form(item, formdata=None).supersedes.choices
    key = f"evidence-{action.id}"
    if not form.validate_on_submit():
        return _page(award, 400, **{key: form})
    try:
        data = photos.read_upload()
        upload = request.files.get("file")
        action_plans.add_evidence(
            action,
            {
                "year": form.year.data,
                "quarter": form.quarter.data,
                "supersedes": form.supersedes.data,
            },
            data,
            upload.filename if upload is not None else None,
            actor=current_user,
        )
    except DomainError as exc:
        db.session.rollback()
        status = form_error(form, exc)
        return _page(award, status, **{key: form})
    return _done(award, _("The evidence file is kept."), f"action-{action.id}")


@bp.route("/awards/<int:award_id>/social/evidence/<int:evidence_id>")
@login_required
def award_evidence(award_id: int, evidence_id: int):
    award = _award(award_id)
    plan = action_plans.plan_of(award)
    if plan is None:
        abort(404)
    return action_plans.evidence_response(plan, evidence_id)
