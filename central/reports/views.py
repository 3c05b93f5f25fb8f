"""Pages: the member's maintenance budget, the month's statement, issued statements (page,
print view, credits), consumption, social impact and the progress dashboards — the same
builders and services as the API, with charts drawn as SVG next to their tables."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from central.accounts.models import Role
from central.core.clock import today
from central.core.errors import DomainError, Forbidden
from central.core.formatting import format_percent
from central.core.forms import amount_input, form_error, rule_errors
from central.core.money import format_money
from central.core.pagination import paginate
from central.core.permissions import get_visible, get_visible_for, require_role
from central.extensions import db
from central.frameworks.models import Framework, FrameworkStatus
from central.frameworks.queries import committed_amounts
from central.frameworks.reach import led_frameworks, visible_frameworks
from central.labels import social_status_label
from central.organisations.models import RECOGNISED_STATUSES, Organisation
from central.reports import builders, charts, queries, services
from central.reports.forms import BudgetForm, CreditForm, ExternalSpendForm
from central.reports.models import Statement
from central.reports.reach import report_lines_scope, visible_report_members, visible_statements

bp = Blueprint("reports", __name__)


def _money(value: Any) -> str:
    return format_money(value, str(get_locale() or "nl"))


def _arg_int(name: str) -> int | None:
    raw = (request.args.get(name) or "").strip()
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**31 else None


def _members_in_reach() -> list[Organisation]:
    return list(
        db.session.scalars(visible_report_members(current_user).order_by(Organisation.name))
    )


def _led_frameworks() -> list[Framework]:
    return list(
        db.session.scalars(
            select(Framework)
            .where(
                Framework.lead_organisation_id == current_user.organisation_id,
                Framework.status != FrameworkStatus.DRAFT,
            )
            .order_by(Framework.start_date.desc(), Framework.reference)
        )
    )


@bp.route("/reports")
@login_required
def index():
    """The reports a member or coordinator can open."""
    require_role(current_user, Role.MEMBER, Role.COORDINATOR)
    year = today().year
    return render_template("reports/index.html", export_years=[year - 1, year])


# --- budgets -----------------------------------------------------------------------------------


@bp.route("/budgets", methods=["GET", "POST"])
@login_required
def budgets():
    """The member's maintenance budget and own social target per year (the base of its
    social-economy share), and the social-economy spend it declares outside the platform."""
    require_role(current_user, Role.MEMBER, Role.COORDINATOR)
    member = db.session.get(Organisation, current_user.organisation_id)
    form = BudgetForm()
    spend_form = _external_spend_form()
    if request.method == "GET":
        form.year.data = today().year
        spend_form.year.data = today().year
    status = 200

    def save() -> Any:
        return services.set_budget(
            member,
            form.year.data,
            amount_input(form.maintenance_budget.data),
            actor=current_user,
            social_target_percent=(form.social_target_percent.data or "").strip() or services.KEEP,
        )

    if form.validate_on_submit():
        try:
            save()
        except DomainError as exc:
            db.session.rollback()
            status = form_error(form, exc)
        else:
            db.session.commit()
            flash(_("The budget for %(year)s is saved.", year=form.year.data), "success")
            return redirect(url_for("reports.budgets"))
    elif request.method == "POST":
        rule_errors(form, save)
        status = 400
    return _budgets_page(member, form, spend_form, status)


def _external_spend_form() -> ExternalSpendForm:
    form = ExternalSpendForm(prefix="spend")
    form.social_economy_status.choices = [
        (status, social_status_label(status)) for status in RECOGNISED_STATUSES
    ]
    return form


def _budgets_page(member: Organisation, form: Any, spend_form: Any, status: int):
    from central.reports.models import ExternalSocialSpend, MaintenanceBudget

    rows = db.session.scalars(
        select(MaintenanceBudget)
        .where(MaintenanceBudget.member_id == member.id)
        .order_by(MaintenanceBudget.year.desc())
    ).all()
    spends = db.session.scalars(
        select(ExternalSocialSpend)
        .where(ExternalSocialSpend.member_id == member.id)
        .order_by(ExternalSocialSpend.year.desc(), ExternalSocialSpend.created_at.desc())
    ).all()
    return render_template(
        "reports/budgets.html",
        form=form,
        spend_form=spend_form,
        budgets=rows,
        spends=spends,
        member=member,
    ), status


@bp.route("/budgets/external-spend", methods=["POST"])
@login_required
def external_spend():
    """The member declares social-economy spend it made outside the platform (§7.1)."""
    require_role(current_user, Role.MEMBER, Role.COORDINATOR)
    member = db.session.get(Organisation, current_user.organisation_id)
    form = BudgetForm(formdata=None)
    form.year.data = today().year
    spend_form = _external_spend_form()

    def save() -> Any:
        return services.add_external_spend(
            member,
            spend_form.year.data,
            {
                "provider_name": spend_form.provider_name.data,
                "enterprise_number": spend_form.enterprise_number.data,
                "social_economy_status": spend_form.social_economy_status.data,
                "amount": amount_input(spend_form.amount.data),
                "description": spend_form.description.data,
            },
            actor=current_user,
        )

    if spend_form.validate_on_submit():
        try:
            save()
        except DomainError as exc:
            db.session.rollback()
            return _budgets_page(member, form, spend_form, form_error(spend_form, exc))
        db.session.commit()
        flash(_("The spend outside the platform is saved."), "success")
        return redirect(url_for("reports.budgets"))
    rule_errors(spend_form, save)
    return _budgets_page(member, form, spend_form, 400)


# --- the month's statement ---------------------------------------------------------------------


@bp.route("/reports/statement")
@login_required
def month_statement():
    """The month's accepted work of a member, before it is issued."""
    require_role(current_user, Role.MEMBER, Role.COORDINATOR)
    members = _members_in_reach()
    member_id = _arg_int("member") or current_user.organisation_id
    member = get_visible(visible_report_members(current_user), Organisation, member_id)
    default_month = today().replace(day=1) - relativedelta(months=1)
    month_text = request.args.get("month") or builders.month_label(default_month)
    month = builders.parse_month(month_text)
    report = builders.statement_report(
        db.session,
        member.id,
        month,
        frameworks=report_lines_scope(current_user, member.id),
    )
    lines = report.lines.to_dict(orient="records")
    names = {line["provider_id"]: line["provider_name"] for line in lines}
    vat = [
        {**row, "provider_name": names.get(row["provider_id"], "")}
        for row in report.vat.to_dict(orient="records")
    ]
    return render_template(
        "reports/month.html",
        members=members,
        member=member,
        month=builders.month_label(month),
        report=report,
        lines=lines,
        vat=vat,
    )


# --- issued statements -------------------------------------------------------------------------


@bp.route("/statements")
@login_required
def statements():
    require_role(current_user, Role.MEMBER, Role.COORDINATOR)
    stmt = visible_statements(current_user)
    month = (request.args.get("month") or "").strip()
    member_id = _arg_int("member")
    if month:
        stmt = stmt.where(Statement.month == builders.month_label(builders.parse_month(month)))
    if member_id:
        stmt = stmt.where(Statement.member_id == member_id)
    page = paginate(stmt.order_by(Statement.month.desc(), Statement.id.desc()))
    return render_template(
        "reports/statements.html",
        page=page,
        members=_members_in_reach(),
        args={"month": month, "member": member_id},
    )


def _can_credit(statement: Statement) -> bool:
    framework = db.session.get(Framework, statement.framework_id)
    return (
        current_user.role == Role.COORDINATOR
        and framework.lead_organisation_id == current_user.organisation_id
    )


@bp.route("/statements/<int:statement_id>")
@login_required
def statement(statement_id: int):
    statement = get_visible_for(current_user, Statement, statement_id)
    from central.reports.models import Credit

    credits = db.session.scalars(
        select(Credit).where(Credit.corrects_statement_id == statement.id).order_by(Credit.id)
    ).all()
    return render_template(
        "reports/statement.html",
        statement=statement,
        credits=credits,
        can_credit=_can_credit(statement),
    )


@bp.route("/statements/<int:statement_id>/print")
@login_required
def statement_print(statement_id: int):
    return render_template(
        "reports/statement_print.html",
        statement=get_visible_for(current_user, Statement, statement_id),
    )


@bp.route("/statements/<int:statement_id>/credit", methods=["GET", "POST"])
@login_required
def credit(statement_id: int):
    """A coordinator of the lead authority decides a credit; it lands on the next statement."""
    statement = get_visible_for(current_user, Statement, statement_id)
    if not _can_credit(statement):
        raise Forbidden(_("Only a coordinator of the lead authority can decide a credit."))
    form = CreditForm()
    rates = sorted({line.vat_rate for line in statement.lines if line.kind == "work"})
    form.vat_rate.choices = [(str(r), format_percent(r)) for r in rates]
    status = 200

    def save() -> Any:
        values = {
            "amount": amount_input(form.amount.data),
            "vat_rate": form.vat_rate.data,
            "reason": form.reason.data,
        }
        return services.add_credit(statement, values, actor=current_user)

    if form.validate_on_submit():
        try:
            save()
        except DomainError as exc:
            db.session.rollback()
            status = form_error(form, exc)
        else:
            db.session.commit()
            flash(_("The credit will be on the next statement."), "success")
            return redirect(url_for("reports.statement", statement_id=statement.id))
    elif request.method == "POST":
        rule_errors(form, save)
        status = 400
    return render_template("reports/credit.html", form=form, statement=statement), status


# --- consumption -------------------------------------------------------------------------------


RUNNING_STATUSES = (FrameworkStatus.ACTIVE, FrameworkStatus.EXHAUSTED)


def _framework_choice(frameworks: list[Framework]) -> Framework | None:
    framework_id = _arg_int("framework")
    if framework_id is None:
        # A report opens on the running framework (active or exhausted) with the most work
        # committed, the newest on a tie, rather than on a new one that has no work yet.
        running = [f for f in frameworks if f.status in RUNNING_STATUSES]
        if not running:
            return frameworks[0] if frameworks else None
        return max(
            running,
            key=lambda f: (committed_amounts(f.id).total.committed, f.start_date, f.id),
        )
    framework = get_visible_for(current_user, Framework, framework_id)
    return framework


@bp.route("/reports/consumption")
@login_required
def consumption():
    require_role(current_user, Role.COORDINATOR)
    frameworks = _led_frameworks()
    framework = _framework_choice(frameworks)
    if framework is not None and framework.lead_organisation_id != current_user.organisation_id:
        raise Forbidden(_("Only a coordinator of the lead authority sees this report."))
    data = builders.build_consumption(db.session, framework, today()) if framework else None
    chart = months_chart = None
    members: list[dict] = []
    if data:
        bars = [
            charts.Bar(
                _("Framework"),
                data["committed"],
                mark=data["max_value"],
                tone=_tone(data["committed"], data["max_value"]),
            )
        ]
        for lot in data["lots"]:
            bars.append(
                charts.Bar(
                    _("Lot %(number)s", number=lot["number"]),
                    lot["committed"],
                    mark=lot["max_value"],
                    tone=_tone(lot["committed"], lot["max_value"]),
                )
            )
        chart = charts.bar_chart(
            bars,
            title=_("Committed value against the maximum"),
            description=_(
                "Committed value of the framework and of each lot; the line marks the maximum. "
                "The table below gives the figures."
            ),
            value_label=_money,
        )
        months_chart = charts.column_chart(
            [(_short_month(m), v) for m, v in data["months"].items()],
            title=_("Value committed per month"),
            description=_("Value of the work planned in each of the last twelve months."),
            value_label=_money,
        )
        members = data["members"].to_dict(orient="records")
    return render_template(
        "reports/consumption.html",
        frameworks=frameworks,
        framework=framework,
        data=data,
        chart=chart,
        months_chart=months_chart,
        members=members,
        percent=_percent,
    )


def _tone(value: Decimal, maximum: Decimal | None) -> str:
    if not maximum:
        return ""
    share = value / maximum
    return "over" if share >= 1 else "warn" if share >= Decimal("0.8") else ""


def _percent(part: Decimal, whole: Decimal | None) -> str:
    if not whole:
        return "—"
    return format_percent(part * 100 / whole, 1)


def _short_month(label: str) -> str:
    year, month = label.split("-")
    return f"{month}/{year[2:]}"


# --- social impact -----------------------------------------------------------------------------


@bp.route("/reports/social-impact")
@login_required
def social_impact():
    require_role(current_user, Role.MEMBER, Role.COORDINATOR)
    frameworks = list(
        db.session.scalars(
            visible_frameworks(current_user)
            .where(Framework.status != FrameworkStatus.DRAFT)
            .order_by(Framework.start_date.desc(), Framework.reference)
        )
    )
    framework = _framework_choice(frameworks)
    year = _arg_int("year") or today().year
    year = services.check_year(year)
    data = None
    chart = None
    hours_per_fte = services.hours_per_fte(request.args.get("hours_per_fte"))
    if framework is not None:
        leads = framework.lead_organisation_id == current_user.organisation_id
        member_id = (
            None
            if current_user.role == Role.COORDINATOR and leads
            else current_user.organisation_id
        )
        data = builders.build_social_impact(
            db.session,
            framework,
            year,
            hours_per_fte=hours_per_fte,
            member_id=member_id,
        )
        chart = charts.column_chart(
            [(_short_month(m), v) for m, v in data["social_spend_by_month"].items()],
            title=_("Spend through social-economy providers per month"),
            description=_("Accepted work of social-economy providers, per month of %(year)s.")
            % {"year": year},
            value_label=_money,
        )
    share_chart = None
    if data and data["members"]:
        share_chart = charts.bar_chart(
            [
                charts.Bar(
                    m["member_name"],
                    m["social_share_of_spend"] or Decimal("0"),
                    mark=m["target_percent"],
                    tone="social" if m["target_met"] else "muted",
                )
                for m in data["members"]
            ],
            title=_("Share of the spend under this framework in the social economy"),
            description=_("Per member; the line marks the framework's target. See the table."),
            value_label=format_percent,
        )
    return render_template(
        "reports/social_impact.html",
        frameworks=frameworks,
        framework=framework,
        year=year,
        data=data,
        clauses=_social_clauses(framework),
        rows=data["rows"].to_dict(orient="records") if data else [],
        chart=chart,
        share_chart=share_chart,
        hours_per_fte=hours_per_fte,
    )


def _social_clauses(framework: Framework | None) -> list[dict[str, Any]]:
    """For the lead coordinator: each award of a lot with a social clause, its target against
    what recorded work and labour realised over the term (SPEC 7.3)."""
    from central.frameworks.action_plans import clause_progress
    from central.frameworks.reach import leads_framework

    if framework is None or not leads_framework(current_user, framework):
        return []
    return [
        {"award": award, "lot": lot, "clause": clause_progress(award)}
        for lot in framework.lots
        if lot.social_clause_kind is not None
        for award in lot.awards
    ]


@bp.route("/reports/social-impact/member")
@login_required
def member_social_impact():
    """A member's social impact across every framework and lead against its own target (§7.1);
    a coordinator sees another member only under the frameworks its authority leads."""
    require_role(current_user, Role.MEMBER, Role.COORDINATOR)
    members = _members_in_reach()
    chosen = _arg_int("member") or current_user.organisation_id
    member = get_visible(visible_report_members(current_user), Organisation, chosen)
    year = services.check_year(_arg_int("year") or today().year)
    hours_per_fte = services.hours_per_fte(request.args.get("hours_per_fte"))
    framework_ids = None
    if member.id != current_user.organisation_id:
        framework_ids = [f.id for f in _led_frameworks()]
    data = builders.build_member_social_impact(
        db.session, member, year, hours_per_fte=hours_per_fte, framework_ids=framework_ids
    )
    chart = charts.column_chart(
        [(_short_month(m), v) for m, v in data["social_spend_by_month"].items()],
        title=_("Spend through social-economy providers per month"),
        description=_("Accepted work of social-economy providers, per month of %(year)s.")
        % {"year": year},
        value_label=_money,
    )
    bars = []
    if data["share_percent"] is not None:
        bars.append(
            charts.Bar(
                _("Whole budget"),
                data["share_percent"],
                mark=data["target_percent"],
                tone="social" if data["target_met"] else "muted",
            )
        )
    bars += [
        charts.Bar(
            f["framework_reference"],
            f["social_share_of_spend"] or Decimal("0"),
            mark=f["target_percent"],
            tone="social" if f["target_met"] else "muted",
        )
        for f in data["frameworks"]
    ]
    share_chart = (
        charts.bar_chart(
            bars,
            title=_("Share in the social economy against the target"),
            description=_(
                "The whole budget against your own target, then each framework's spend "
                "against the framework's target (the line). See the tables."
            ),
            value_label=format_percent,
        )
        if bars
        else None
    )
    return render_template(
        "reports/social_impact_member.html",
        members=members,
        member=member,
        year=year,
        data=data,
        chart=chart,
        share_chart=share_chart,
        hours_per_fte=hours_per_fte,
    )


# --- progress ----------------------------------------------------------------------------------


@bp.route("/reports/progress")
@login_required
def progress():
    """Coordinator: progress per member; member: its own; provider: workload and completion."""
    day = today()
    if current_user.role == Role.PROVIDER:
        from central.planning.queries import monday, weekly_load

        result = queries.provider_progress(current_user.organisation_id, day)
        weeks = weekly_load(current_user.organisation_id, monday(day), 8)
        bars = [
            charts.Bar(
                w["week"].isoformat(),
                sum(lot["tasks"] for lot in w["lots"]),
                mark=sum(lot["capacity"] or 0 for lot in w["lots"]) or None,
            )
            for w in weeks
        ]
        chart = charts.bar_chart(
            bars,
            title=_("Tasks planned per week"),
            description=_("Your scheduled tasks in the coming eight weeks; see the table."),
        )
        return render_template(
            "reports/progress_provider.html", result=result, weeks=weeks, chart=chart
        )
    require_role(current_user, Role.MEMBER, Role.COORDINATOR)
    # A coordinator's view of another member counts only the frameworks its authority leads
    # (SPEC 7.0); its own authority's progress counts all of its work.
    own_id = current_user.organisation_id
    members = [m.id for m in _members_in_reach()]
    rows = queries.member_progress([i for i in members if i == own_id], day)
    rows += queries.member_progress(
        [i for i in members if i != own_id], day, frameworks=led_frameworks(own_id)
    )
    rows.sort(key=lambda r: r.name)
    chart = charts.bar_chart(
        [
            charts.Bar(
                r.name,
                r.inspected,
                mark=r.due,
                tone="over" if r.overdue_rounds else "",
            )
            for r in rows
        ],
        title=_("Inspected this year against what is due"),
        description=_(
            "Per member: the bar is the work done this year, the line what is due by "
            "31 December. The table gives the figures."
        ),
    )
    return render_template("reports/progress.html", rows=rows, chart=chart, year=day.year)
