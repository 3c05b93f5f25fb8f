"""Pages: frameworks (list, form, page with lots, task types, prices, awards, beneficiaries and
spend), activation and termination, accession requests and their decisions.

Each view loads in reach (404 outside), validates its form, calls one service and commits; the
service's DomainError goes back onto the form with its status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from central.accounts.models import Role
from central.core.clock import today
from central.core.errors import DomainError
from central.core.forms import form_error, rule_errors, submit
from central.core.pagination import paginate
from central.core.permissions import get_visible_for, require_role
from central.extensions import db
from central.frameworks import cpv, queries, services
from central.frameworks.blueprint import bp
from central.frameworks.forms import (
    AccessionForm,
    AwardForm,
    BeneficiariesForm,
    ChangeForm,
    ConfirmForm,
    FrameworkForm,
    LotForm,
    PriceForm,
    ReasonForm,
    TaskTypeForm,
)
from central.frameworks.models import (
    Accession,
    AccessionStatus,
    Framework,
    FrameworkAlert,
    FrameworkChange,
    FrameworkStatus,
    Lot,
    PriceLine,
    TaskType,
)
from central.frameworks.reach import (
    leads_framework,
    visible_accessions,
    visible_frameworks,
)
from central.labels import CHANGE_KIND_LABELS, PROCEDURE_LABELS, social_status_label
from central.organisations.models import Organisation, OrganisationKind


def status_label(status: str) -> str:
    labels = {
        "draft": _("draft"),
        "active": _("active"),
        "exhausted": _("exhausted"),
        "expired": _("expired"),
        "terminated": _("terminated"),
        "requested": _("requested"),
        "approved": _("approved"),
        "rejected": _("rejected"),
        "withdrawn": _("withdrawn"),
    }
    return labels.get(status, status)


@dataclass
class Summary:
    active: int = 0
    to_decide: int = 0
    approved: int = 0
    requested: int = 0


def frameworks_summary() -> Summary:
    """Counts for the home page: running frameworks in reach, accessions to decide or own."""
    summary = Summary()
    running = visible_frameworks(current_user).where(
        Framework.status.in_([FrameworkStatus.ACTIVE, FrameworkStatus.EXHAUSTED])
    )
    summary.active = db.session.scalar(select(func.count()).select_from(running.subquery())) or 0
    org_id = current_user.organisation_id
    if current_user.role == Role.COORDINATOR:
        summary.to_decide = (
            db.session.scalar(
                select(func.count(Accession.id))
                .join(Framework, Framework.id == Accession.framework_id)
                .where(
                    Framework.lead_organisation_id == org_id,
                    Accession.status == AccessionStatus.REQUESTED,
                )
            )
            or 0
        )
    rows = db.session.execute(
        select(Accession.status, func.count(Accession.id))
        .where(Accession.member_id == org_id)
        .group_by(Accession.status)
    )
    counts = dict(rows.all())
    summary.approved = counts.get(AccessionStatus.APPROVED, 0)
    summary.requested = counts.get(AccessionStatus.REQUESTED, 0)
    return summary


def action_kind_label(kind: str) -> str:
    from central.frameworks.action_plans import ACTION_KIND_LABELS

    return _(ACTION_KIND_LABELS[kind]).capitalize() if kind in ACTION_KIND_LABELS else kind


def action_unit_label(unit: str) -> str:
    from central.frameworks.action_plans import ACTION_UNIT_LABELS

    return _(ACTION_UNIT_LABELS[unit]) if unit in ACTION_UNIT_LABELS else unit


@bp.app_context_processor
def labels() -> dict[str, Any]:
    return {
        "action_kind_label": action_kind_label,
        "action_unit_label": action_unit_label,
        "framework_status_label": status_label,
        "frameworks_summary": frameworks_summary,
    }


def _leads(framework: Framework) -> bool:
    return leads_framework(current_user, framework)


def _require_lead(framework: Framework) -> None:
    if not _leads(framework):
        abort(403)


def _render_form(template: str, status: int = 200, **context: Any):
    return render_template(template, **context), status


# --- frameworks -------------------------------------------------------------------------------


@bp.route("/frameworks")
@login_required
def index():
    status = request.args.get("status") or ""
    stmt = visible_frameworks(current_user).order_by(Framework.start_date.desc(), Framework.id)
    if status in set(FrameworkStatus):
        stmt = stmt.where(Framework.status == status)
    page = paginate(stmt, per_page=25)
    mine: dict[int, list[Accession]] = {}
    if current_user.role in (Role.MEMBER, Role.COORDINATOR) and page.items:
        rows = db.session.scalars(
            select(Accession)
            .where(
                Accession.member_id == current_user.organisation_id,
                Accession.framework_id.in_([f.id for f in page.items]),
            )
            .order_by(Accession.requested_at)
        )
        for accession in rows:
            mine.setdefault(accession.framework_id, []).append(accession)
    return render_template(
        "frameworks/index.html",
        page=page,
        status=status,
        statuses=list(FrameworkStatus),
        mine=mine,
    )


@bp.route("/frameworks/new", methods=["GET", "POST"])
@bp.route("/frameworks/<int:framework_id>/edit", methods=["GET", "POST"])
@login_required
def edit(framework_id: int | None = None):
    framework = get_visible_for(current_user, Framework, framework_id) if framework_id else None
    if framework is None:
        require_role(current_user, Role.COORDINATOR)
    else:
        _require_lead(framework)
    form = FrameworkForm(obj=framework)
    if framework is not None and request.method == "GET":
        form.social_target_percent.data = str(framework.social_target_percent)
        form.procedure.data = framework.procedure or ""
        form.fill_lists(framework)
    done = submit(
        form,
        lambda: (
            services.create_framework(form.values(), actor=current_user)
            if framework is None
            else services.update_framework(framework, form.values(), actor=current_user)
        ),
    )
    if done.ok:
        framework = framework or done.result
        flash(_("%(reference)s is saved.", reference=framework.reference), "success")
        if framework_id is None:
            return redirect(_next_step(framework))
        return redirect(url_for("frameworks.show", framework_id=framework.id))
    return _render_form("frameworks/form.html", done.status, form=form, framework=framework)


@bp.route("/frameworks/<int:framework_id>")
@login_required
def show(framework_id: int):
    framework = get_visible_for(current_user, Framework, framework_id)
    amounts = queries.committed_amounts(framework.id)
    spend = services.committed_value(framework, amounts=amounts)
    lots = list(framework.lots)
    prices = {
        lot.id: list(
            db.session.scalars(
                select(PriceLine)
                .join(TaskType, TaskType.id == PriceLine.task_type_id)
                .where(PriceLine.lot_id == lot.id)
                .order_by(
                    PriceLine.provider_id.is_not(None),
                    PriceLine.provider_id,
                    TaskType.code,
                    PriceLine.valid_from,
                )
            )
        )
        for lot in lots
    }
    # SPEC 7.2: the common schedule and each awarded provider's own; a line is in force in its
    # own schedule (a common line stays in force for the providers without a line of their own).
    schedule = queries.PriceSchedule.load(lot.id for lot in lots)
    in_force = {line.id for lot in lots for line in schedule.lines(lot.id, today()).values()} | {
        line.id
        for lot in lots
        for award in lot.awards
        for line in schedule.lines(lot.id, today(), award.provider_id).values()
        if line.provider_id is not None
    }
    leads = _leads(framework)
    changes = list(
        db.session.scalars(
            select(FrameworkChange)
            .where(FrameworkChange.framework_id == framework.id)
            .order_by(FrameworkChange.created_at, FrameworkChange.id)
        )
    )
    accessions_stmt = visible_accessions(current_user).where(Accession.framework_id == framework.id)
    accessions = list(db.session.scalars(accessions_stmt.order_by(Accession.requested_at)))
    by_member: dict[int, list[Accession]] = {}
    for accession in accessions:
        by_member.setdefault(accession.member_id, []).append(accession)
    alerts = list(
        db.session.scalars(
            select(FrameworkAlert)
            .where(FrameworkAlert.framework_id == framework.id, FrameworkAlert.cleared_at.is_(None))
            .order_by(FrameworkAlert.threshold.desc())
        )
    )
    may_accede = (
        current_user.role in (Role.MEMBER, Role.COORDINATOR)
        and framework.is_running
        and services.is_beneficiary(framework, current_user.organisation_id)
        and bool(
            {lot.id for lot in lots}
            - queries.covered_lot_ids(current_user.organisation_id, framework.id)
        )
    )
    return render_template(
        "frameworks/show.html",
        framework=framework,
        lots=lots,
        prices=prices,
        in_force=in_force,
        changes=changes,
        change_kinds=CHANGE_KIND_LABELS,
        procedure_labels=PROCEDURE_LABELS,
        cpv_label=cpv.label,
        amounts=amounts,
        spend=spend,
        leads=leads,
        accessions=accessions,
        by_member=by_member,
        alerts=alerts if leads else [],
        may_accede=may_accede,
        today=today(),
        problems=services.activation_problems(framework) if leads and framework.is_draft else [],
        lot_spend={lot.id: services.lot_committed_value(lot, amounts=amounts) for lot in lots},
    )


def _next_step(framework: Framework, lot: Lot | None = None) -> str:
    """Where a coordinator setting up a draft goes after saving a step: the form of the next
    step it lacks (this lot's task type, price and award first, then the other lots', then the
    beneficiaries), a complete draft's activation page; the framework's page once it runs. Each
    step is a form less to look for (§7.6, the measured journeys)."""
    page = url_for("frameworks.show", framework_id=framework.id)
    if not framework.is_draft:
        return page + (f"#lot-{lot.id}" if lot is not None else "")
    if not framework.lots:
        return url_for("frameworks.edit_lot", framework_id=framework.id)
    lots = ([lot] if lot is not None else []) + [o for o in framework.lots if o is not lot]
    for each in lots:
        if not each.task_types:
            return url_for("frameworks.edit_task_type", lot_id=each.id)
        priced = select(PriceLine.id).where(PriceLine.lot_id == each.id).limit(1)
        if db.session.scalar(priced) is None:
            return url_for("frameworks.add_price", lot_id=each.id)
        if not each.awards:
            return url_for("frameworks.add_award", lot_id=each.id)
    if not framework.beneficiaries:
        return url_for("frameworks.beneficiaries", framework_id=framework.id)
    if not services.activation_problems(framework):
        return url_for("frameworks.activate", framework_id=framework.id)
    return page


@bp.route("/frameworks/<int:framework_id>/activate", methods=["GET", "POST"])
@login_required
def activate(framework_id: int):
    framework = get_visible_for(current_user, Framework, framework_id)
    _require_lead(framework)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.activate_framework(framework, actor=current_user)
        except DomainError as exc:
            status = form_error(form, exc)
            return _render_form(
                "frameworks/activate.html",
                status,
                form=form,
                framework=framework,
                problems=services.activation_problems(framework),
            )
        db.session.commit()
        flash(_("%(reference)s is active.", reference=framework.reference), "success")
        return redirect(url_for("frameworks.show", framework_id=framework.id))
    if request.method == "POST":
        abort(400)
    return render_template(
        "frameworks/activate.html",
        form=form,
        framework=framework,
        problems=services.activation_problems(framework) if framework.is_draft else [],
    )


@bp.route("/frameworks/<int:framework_id>/terminate", methods=["GET", "POST"])
@login_required
def terminate(framework_id: int):
    framework = get_visible_for(current_user, Framework, framework_id)
    _require_lead(framework)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            services.terminate_framework(framework, form.reason.data, actor=current_user)
        except DomainError as exc:
            status = form_error(form, exc)
            return _render_form("frameworks/terminate.html", status, form=form, framework=framework)
        db.session.commit()
        flash(_("%(reference)s is terminated.", reference=framework.reference), "success")
        return redirect(url_for("frameworks.show", framework_id=framework.id))
    status = 400 if form.errors else 200
    return _render_form("frameworks/terminate.html", status, form=form, framework=framework)


@bp.route("/frameworks/<int:framework_id>/beneficiaries", methods=["GET", "POST"])
@login_required
def beneficiaries(framework_id: int):
    framework = get_visible_for(current_user, Framework, framework_id)
    _require_lead(framework)
    form = BeneficiariesForm()
    authorities = list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.kind == OrganisationKind.AUTHORITY)
            .order_by(Organisation.name)
        )
    )
    named = {org.id for org in framework.beneficiaries}
    form.organisation_ids.choices = [(o.id, o.name) for o in authorities if o.id not in named]
    if form.validate_on_submit():
        try:
            services.add_beneficiaries(framework, form.organisation_ids.data, actor=current_user)
        except DomainError as exc:
            status = form_error(form, exc)
            return _render_form(
                "frameworks/beneficiaries.html", status, form=form, framework=framework
            )
        db.session.commit()
        flash(_("The beneficiaries are saved."), "success")
        if framework.is_draft:
            return redirect(_next_step(framework))
        return redirect(url_for("frameworks.show", framework_id=framework.id) + "#beneficiaries")
    status = 400 if form.errors else 200
    return _render_form("frameworks/beneficiaries.html", status, form=form, framework=framework)


@bp.route(
    "/frameworks/<int:framework_id>/beneficiaries/<int:organisation_id>/remove", methods=["POST"]
)
@login_required
def remove_beneficiary(framework_id: int, organisation_id: int):
    framework = get_visible_for(current_user, Framework, framework_id)
    _require_lead(framework)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.remove_beneficiary(framework, organisation_id, actor=current_user)
    db.session.commit()
    flash(_("The authority is no longer named."), "success")
    return redirect(url_for("frameworks.show", framework_id=framework.id) + "#beneficiaries")


# --- lots, task types, prices, awards ---------------------------------------------------------


@bp.route("/frameworks/<int:framework_id>/lots/new", methods=["GET", "POST"])
@bp.route("/lots/<int:lot_id>/edit", methods=["GET", "POST"])
@login_required
def edit_lot(framework_id: int | None = None, lot_id: int | None = None):
    lot = get_visible_for(current_user, Lot, lot_id) if lot_id else None
    framework = lot.framework if lot else get_visible_for(current_user, Framework, framework_id)
    _require_lead(framework)
    form = LotForm(obj=lot)
    if lot is None and request.method == "GET":
        form.number.data = len(framework.lots) + 1
    if lot is not None and request.method == "GET" and lot.max_value is not None:
        form.max_value.data = str(lot.max_value)
    if lot is not None and request.method == "GET" and lot.social_clause_target is not None:
        form.social_clause_target.data = str(lot.social_clause_target)
    done = submit(
        form,
        lambda: (
            services.create_lot(framework, form.values(), actor=current_user)
            if lot is None
            else services.update_lot(lot, form.values(), actor=current_user)
        ),
    )
    if done.ok:
        lot = lot or done.result
        flash(_("Lot %(number)s is saved.", number=lot.number), "success")
        if lot_id is None:
            return redirect(_next_step(framework, lot))
        return redirect(url_for("frameworks.show", framework_id=framework.id) + f"#lot-{lot.id}")
    return _render_form(
        "frameworks/lot_form.html", done.status, form=form, framework=framework, lot=lot
    )


def _follow_up_choices(framework: Framework) -> tuple[list, dict[str, dict[str, Any]]]:
    choices = [("", _("None"))]
    targets: dict[str, dict[str, Any]] = {}
    for lot in framework.lots:
        for task_type in lot.task_types:
            key = str(task_type.id)
            choices.append(
                (
                    key,
                    _("Lot %(number)s", number=lot.number)
                    + f": {task_type.name} ({task_type.code})",
                )
            )
            targets[key] = {"lot_id": lot.id, "task_type": task_type.code}
    return choices, targets


@bp.route("/lots/<int:lot_id>/task-types/new", methods=["GET", "POST"])
@bp.route("/task-types/<int:task_type_id>/edit", methods=["GET", "POST"])
@login_required
def edit_task_type(lot_id: int | None = None, task_type_id: int | None = None):
    task_type = get_visible_for(current_user, TaskType, task_type_id) if task_type_id else None
    lot = task_type.lot if task_type else get_visible_for(current_user, Lot, lot_id)
    framework = lot.framework
    _require_lead(framework)
    form = TaskTypeForm(obj=task_type)
    form.change_id.choices = _change_choices(framework, lot)
    choices, targets = _follow_up_choices(framework)
    form.follow_up.choices = [c for c in choices if task_type is None or c[0] != str(task_type.id)]
    if task_type is not None and request.method == "GET":
        form.show_items(task_type.checklist)
        form.follow_up.data = str(task_type.follow_up_task_type_id or "")
    if request.method == "POST" and "add_rows" in request.form:
        # More empty rows for the checklist: nothing is saved, what was typed stays.
        form.add_rows()
        return _render_form(
            "frameworks/task_type_form.html", 200, form=form, lot=lot, task_type=task_type
        )
    if form.validate_on_submit():
        try:
            values = form.values(targets)
            if task_type is None:
                task_type = services.create_task_type(lot, values, actor=current_user)
            else:
                values.pop("code")
                services.update_task_type(task_type, values, actor=current_user)
        except DomainError as exc:
            status = form_error(form, exc)
            return _render_form(
                "frameworks/task_type_form.html",
                status,
                form=form,
                lot=lot,
                task_type=task_type,
            )
        db.session.commit()
        flash(_("Task type %(code)s is saved.", code=task_type.code), "success")
        if task_type_id is None:
            return redirect(_next_step(framework, lot))
        return redirect(url_for("frameworks.show", framework_id=framework.id) + f"#lot-{lot.id}")
    if form.errors:
        rule_errors(
            form,
            lambda: (
                services.create_task_type(lot, form.values(targets), actor=current_user)
                if task_type is None
                else services.update_task_type(
                    task_type,
                    {k: v for k, v in form.values(targets).items() if k != "code"},
                    actor=current_user,
                )
            ),
        )
    status = 400 if form.errors else 200
    return _render_form(
        "frameworks/task_type_form.html", status, form=form, lot=lot, task_type=task_type
    )


def _change_choices(framework: Framework, lot: Lot) -> list[tuple[str, str]]:
    """The recorded changes that can carry a new price or task type of `lot` (SPEC 7.2)."""
    changes = db.session.scalars(
        select(FrameworkChange)
        .where(
            FrameworkChange.framework_id == framework.id,
            FrameworkChange.kind.in_([str(k) for k in services.CARRYING_KINDS]),
            (FrameworkChange.lot_id.is_(None)) | (FrameworkChange.lot_id == lot.id),
        )
        .order_by(FrameworkChange.created_at.desc(), FrameworkChange.id.desc())
    )
    return [("", _("None"))] + [
        (str(c.id), f"{CHANGE_KIND_LABELS[c.kind]} — {c.description[:80]}") for c in changes
    ]


@bp.route("/frameworks/<int:framework_id>/changes/new", methods=["GET", "POST"])
@login_required
def record_change(framework_id: int):
    """SPEC 7.2: the lead coordinator records a change of a running framework."""
    framework = get_visible_for(current_user, Framework, framework_id)
    _require_lead(framework)
    form = ChangeForm()
    form.kind.choices = [(kind, str(label)) for kind, label in CHANGE_KIND_LABELS.items()]
    form.lot_id.choices = [("", _("The framework as a whole"))] + [
        (str(lot.id), _("Lot %(number)s", number=lot.number) + f": {lot.title}")
        for lot in framework.lots
    ]
    awarded = {a.provider_id: a.provider for lot in framework.lots for a in lot.awards}
    form.old_provider_id.choices = [("", "—")] + [
        (str(pid), org.name) for pid, org in sorted(awarded.items(), key=lambda i: i[1].name)
    ]
    providers = db.session.scalars(
        select(Organisation)
        .where(Organisation.kind == OrganisationKind.PROVIDER)
        .order_by(Organisation.name)
    )
    form.new_provider_id.choices = [("", "—")] + [(str(o.id), o.name) for o in providers]
    if request.method == "GET":
        form.effective_from.data = today()
    done = submit(
        form, lambda: services.record_change(framework, form.values(), actor=current_user)
    )
    if done.ok:
        flash(_("The change is recorded."), "success")
        return redirect(url_for("frameworks.show", framework_id=framework.id) + "#changes")
    return _render_form("frameworks/change_form.html", done.status, form=form, framework=framework)


@bp.route("/lots/<int:lot_id>/prices/new", methods=["GET", "POST"])
@login_required
def add_price(lot_id: int):
    lot = get_visible_for(current_user, Lot, lot_id)
    framework = lot.framework
    _require_lead(framework)
    form = PriceForm()
    form.task_type.choices = [(t.code, f"{t.name} ({t.code})") for t in lot.task_types]
    form.change_id.choices = _change_choices(framework, lot)
    form.provider_id.choices = [("", _("All providers (common line)"))] + [
        (str(award.provider_id), award.provider.name) for award in lot.awards
    ]
    if request.method == "GET":
        form.valid_from.data = max(today(), framework.start_date)
    done = submit(form, lambda: services.add_price_line(lot, form.values(), actor=current_user))
    if done.ok:
        flash(_("The price is saved."), "success")
        return redirect(_next_step(framework, lot))
    return _render_form("frameworks/price_form.html", done.status, form=form, lot=lot)


@bp.route("/lots/<int:lot_id>/awards/new", methods=["GET", "POST"])
@login_required
def add_award(lot_id: int):
    lot = get_visible_for(current_user, Lot, lot_id)
    framework = lot.framework
    _require_lead(framework)
    form = AwardForm()
    providers = db.session.scalars(
        select(Organisation)
        .where(Organisation.kind == OrganisationKind.PROVIDER)
        .order_by(Organisation.name)
    )
    form.provider_id.choices = [
        (p.id, f"{p.name} — {social_status_label(p.social_economy_status)}") for p in providers
    ]
    if request.method == "GET":
        form.rank.data = len(lot.awards) + 1
    done = submit(form, lambda: services.award_lot(lot, form.values(), actor=current_user))
    if done.ok:
        flash(_("The award is saved."), "success")
        return redirect(_next_step(framework, lot))
    return _render_form("frameworks/award_form.html", done.status, form=form, lot=lot)


# --- accessions -------------------------------------------------------------------------------


@bp.route("/frameworks/<int:framework_id>/accede", methods=["GET", "POST"])
@login_required
def accede(framework_id: int):
    require_role(current_user, Role.MEMBER, Role.COORDINATOR)
    framework = get_visible_for(current_user, Framework, framework_id)
    form = AccessionForm()
    form.lot_ids.choices = [(lot.id, f"{lot.number}. {lot.title}") for lot in framework.lots]
    covered = queries.covered_lot_ids(current_user.organisation_id, framework.id)
    done = submit(
        form,
        lambda: services.request_accession(
            framework, form.lot_ids.data, form.order_reference.data, actor=current_user
        ),
    )
    if done.ok:
        flash(_("Your request is sent to the coordinator."), "success")
        return redirect(url_for("frameworks.accession", accession_id=done.result.id))
    return _render_form(
        "frameworks/accede.html", done.status, form=form, framework=framework, covered=covered
    )


@bp.route("/accessions")
@login_required
def accessions():
    require_role(current_user, Role.MEMBER, Role.COORDINATOR, Role.ADMIN)
    status = request.args.get("status") or ""
    stmt = visible_accessions(current_user).order_by(
        Accession.requested_at.desc(), Accession.id.desc()
    )
    if status in set(AccessionStatus):
        stmt = stmt.where(Accession.status == status)
    return render_template(
        "frameworks/accessions.html",
        page=paginate(stmt, per_page=25),
        status=status,
        statuses=list(AccessionStatus),
    )


@bp.route("/accessions/<int:accession_id>")
@login_required
def accession(accession_id: int):
    item = get_visible_for(current_user, Accession, accession_id)
    return render_template(
        "frameworks/accession.html",
        accession=item,
        decides=_leads(item.framework),
        own=current_user.organisation_id == item.member_id
        and current_user.role in (Role.MEMBER, Role.COORDINATOR),
    )


def _decide(accession_id: int, action: str):
    item = get_visible_for(current_user, Accession, accession_id)
    if action == "withdraw":
        if not (
            current_user.role in (Role.MEMBER, Role.COORDINATOR)
            and current_user.organisation_id == item.member_id
        ):
            abort(403)
    elif not _leads(item.framework):
        abort(403)
    form = ReasonForm() if action == "reject" else ConfirmForm()
    if form.validate_on_submit():
        try:
            if action == "approve":
                services.approve_accession(item, actor=current_user)
                message = _("The accession is approved; the member is notified.")
            elif action == "reject":
                services.reject_accession(item, form.reason.data, actor=current_user)
                message = _("The accession is rejected; the member is notified.")
            else:
                services.withdraw_accession(item, actor=current_user)
                message = _("Your accession is withdrawn.")
        except DomainError as exc:
            status = form_error(form, exc)
            return _render_form(
                "frameworks/decide.html", status, form=form, accession=item, action=action
            )
        db.session.commit()
        flash(message, "success")
        return redirect(url_for("frameworks.accession", accession_id=item.id))
    if request.method == "POST" and action != "reject":
        abort(400)
    status = 400 if form.errors else 200
    return _render_form("frameworks/decide.html", status, form=form, accession=item, action=action)


@bp.route("/accessions/<int:accession_id>/approve", methods=["GET", "POST"])
@login_required
def approve(accession_id: int):
    return _decide(accession_id, "approve")


@bp.route("/accessions/<int:accession_id>/reject", methods=["GET", "POST"])
@login_required
def reject(accession_id: int):
    return _decide(accession_id, "reject")


@bp.route("/accessions/<int:accession_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(accession_id: int):
    return _decide(accession_id, "withdraw")


# An award's social page (SPEC 7.3) registers its routes on this blueprint.
from central.frameworks import social_views  # noqa: E402, F401
