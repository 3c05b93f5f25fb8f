"""API: budgets, statements (the month's report and issued statements, with credits),
consumption, social impact and the OCDS release package of a framework.

Reach: a member sees its own authority's figures; a coordinator also the lines of the frameworks
its authority leads. Anything outside reach answers 404; a visible target whose action is not
the user's answers 403.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import Response, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from central.core.api import PUBLIC, answers, api
from central.core.clock import today
from central.core.errors import N_, Forbidden, NotFound, ValidationError
from central.core.permissions import get_visible, get_visible_for
from central.core.roles import Role
from central.core.security import attachment_disposition
from central.extensions import db
from central.frameworks.models import Framework, FrameworkStatus
from central.frameworks.reach import led_frameworks
from central.organisations.models import Organisation
from central.reports import builders, formats, ocds, services
from central.reports.models import Statement, StatementLine
from central.reports.reach import report_lines_scope, visible_report_members, visible_statements
from central.reports.schemas import (
    BudgetSchema,
    ConsumptionQuerySchema,
    CreditSchema,
    ExternalSpendSchema,
    SocialEconomyQuerySchema,
    SocialImpactQuerySchema,
    StatementQuerySchema,
    StatementReportQuerySchema,
    StatementSchema,
    StatementsQuerySchema,
)

TAG = "reports"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ID = 2**31 - 1


# Full Content-Type values, given as they are: werkzeug appends a charset to a text `mimetype`
# even when it already names one.
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": XLSX,
    "ubl": "application/xml; charset=utf-8",
}


def download(body: str | bytes, kind: str, filename: str) -> Response:
    extension = "xml" if kind == "ubl" else kind
    return Response(
        body,
        content_type=CONTENT_TYPES[kind],
        headers={"Content-Disposition": attachment_disposition(f"{filename}.{extension}")},
    )


def report_member(member_id: int | None) -> Organisation:
    """The member authority a report is about: one in the user's reach, or 404. A member may
    leave it out (its own)."""
    if member_id is None:
        if current_user.role == Role.MEMBER and current_user.organisation_id:
            member_id = current_user.organisation_id
        else:
            raise ValidationError(N_("Name the member."), fields={"member": N_("Required.")})
    return get_visible(visible_report_members(current_user), Organisation, member_id)


# --- budgets -----------------------------------------------------------------------------------


def _budget_json(member_id: int, year: int) -> dict[str, Any]:
    budget = services.get_budget(member_id, year)
    target = budget.social_target_percent if budget else None
    return {
        "member_id": member_id,
        "year": year,
        "maintenance_budget": str(budget.amount) if budget else None,
        "social_target_percent": str(target) if target is not None else None,
        "updated_at": budget.updated_at if budget else None,
    }


@api.route("/budgets/<int:member_id>/<int:year>", tags=[TAG])
@api.response(200, BudgetSchema)
def get_budget(member_id: int, year: int):
    """Read a member's maintenance budget for a year (member own; coordinator reads)"""
    member = report_member(member_id)
    return _budget_json(member.id, services.check_year(year))


@api.route("/budgets/<int:member_id>/<int:year>", methods=["PUT"], tags=[TAG])
@api.arguments(BudgetSchema)
@api.response(200, BudgetSchema)
def put_budget(data, member_id: int, year: int):
    """Enter a member's maintenance budget for a year (the member itself)"""
    member = report_member(member_id)
    services.set_budget(
        member,
        year,
        data.get("maintenance_budget"),
        actor=current_user,
        social_target_percent=data.get("social_target_percent", services.KEEP),
    )
    db.session.commit()
    return _budget_json(member.id, int(year))


@api.route("/budgets/<int:member_id>/<int:year>/external-spend", tags=[TAG])
@api.doc(
    summary="Social-economy spend the member declared outside the platform in a year (member own; "
    "coordinator reads)"
)
@api.response(200, ExternalSpendSchema(many=True))
@api.paginate()
def list_external_spend(member_id: int, year: int):
    member = report_member(member_id)
    return services.external_spends_query(member.id, services.check_year(year))


@api.route("/budgets/<int:member_id>/<int:year>/external-spend", methods=["POST"], tags=[TAG])
@api.doc(
    summary="Declare social-economy spend made outside the platform; it counts towards the "
    "member's own target (the member itself)"
)
@api.arguments(ExternalSpendSchema)
@api.response(201, ExternalSpendSchema)
def add_external_spend(data, member_id: int, year: int):
    member = report_member(member_id)
    spend = services.add_external_spend(member, year, data, actor=current_user)
    db.session.commit()
    return spend


# --- statements --------------------------------------------------------------------------------


def report_json(report: builders.StatementReport, **filters: Any) -> dict[str, Any]:
    return {
        "member_id": report.member_id,
        "month": builders.month_label(report.month),
        **filters,
        "lines": formats.frame_records(report.lines),
        "vat_breakdown": formats.frame_records(report.vat),
        "total_excl_vat": str(report.totals.total_excl_vat),
        "vat": str(report.totals.vat),
        "total_incl_vat": str(report.totals.total_incl_vat),
    }


@api.route("/reports/statement", tags=[TAG])
@api.arguments(StatementReportQuerySchema, location="query")
@api.response(200, StatementSchema)
def statement_report(args):
    """A member's statement of a month: accepted work, VAT per provider and rate, totals"""
    kind = args["format"]
    member = report_member(args.get("member"))
    month = args.get("month") or builders.parse_month(None)  # required, in the report's words
    framework_id, provider_id = args.get("framework"), args.get("provider")
    report = builders.statement_report(
        db.session,
        member.id,
        month,
        framework_id=framework_id,
        provider_id=provider_id,
        frameworks=report_lines_scope(current_user, member.id),
    )
    filename = f"statement-{member.id}-{builders.month_label(month)}"
    if kind == "csv":
        return download(formats.statement_csv(report), "csv", filename)
    if kind == "xlsx":
        return download(formats.statement_xlsx(report), "xlsx", filename)
    return report_json(report, framework_id=framework_id, provider_id=provider_id)


@api.route("/statements", tags=[TAG])
@api.arguments(StatementsQuerySchema, location="query")
@api.response(200, StatementSchema(many=True))
@api.paginate()
def list_statements(args):
    """Issued statements in reach, newest first"""
    stmt = visible_statements(current_user)
    for name, column in (
        ("member", Statement.member_id),
        ("framework", Statement.framework_id),
        ("provider", Statement.provider_id),
    ):
        if name in args:
            stmt = stmt.where(column == args[name])
    if "month" in args:
        stmt = stmt.where(Statement.month == builders.month_label(args["month"]))
    # Numbers run per provider, so the id (issuing order) breaks ties within a month.
    return stmt.options(selectinload(Statement.lines).selectinload(StatementLine.credit)).order_by(
        Statement.month.desc(), Statement.id.desc()
    )


@api.route("/statements/<int:statement_id>", tags=[TAG])
@api.arguments(StatementQuerySchema, location="query")
@api.response(200, StatementSchema)
def get_statement(args, statement_id: int):
    """An issued statement (JSON, CSV, XLSX, or Peppol BIS Billing 3.0 UBL)"""
    statement = get_visible_for(current_user, Statement, statement_id)
    kind = args["format"]
    filename = f"statement-{statement.number}"
    if kind == "ubl":
        return download(formats.issued_ubl(statement), "ubl", filename)
    if kind == "csv":
        return download(formats.issued_csv(statement), "csv", filename)
    if kind == "xlsx":
        return download(formats.issued_xlsx(statement), "xlsx", filename)
    return statement


@api.route("/statements/<int:statement_id>/credits", methods=["POST"], tags=[TAG])
@api.doc(
    summary="Decide a credit on an issued statement; it lands on the next statement (coordinator "
    "of the lead authority)"
)
@api.arguments(CreditSchema)
@api.response(201, CreditSchema)
def add_credit(data, statement_id: int):
    statement = get_visible_for(current_user, Statement, statement_id)
    credit = services.add_credit(statement, data, actor=current_user)
    db.session.commit()
    return credit


# --- open data ---------------------------------------------------------------------------------


@api.route("/frameworks/<int:framework_id>/ocds", tags=[TAG])
@api.doc(
    summary="The framework and its call-offs as an OCDS 1.1 release package (public once active; "
    "the coordinator before)"
)
@api.doc(security=PUBLIC)
@api.response(200)
@api.doc(responses=answers(200, "application/json"))
def framework_ocds(framework_id: int):
    framework = db.session.get(Framework, framework_id) if 0 < framework_id <= MAX_ID else None
    if framework is None:
        raise NotFound(N_("Not found."))
    if framework.status == FrameworkStatus.DRAFT:
        user = current_user
        if not (
            user.is_authenticated
            and user.role == Role.COORDINATOR
            and user.organisation_id == framework.lead_organisation_id
        ):
            raise NotFound(N_("Not found."))
    uri = url_for("api.reports_framework_ocds", framework_id=framework.id, _external=True)
    return ocds.release_package(framework, uri=uri)


def led_framework(framework_id: int | None) -> Framework:
    """A framework the user's authority leads: 404 outside reach, 403 when only visible."""
    if framework_id is None:
        raise ValidationError(N_("Name the framework."), fields={"framework": N_("Required.")})
    framework = get_visible_for(current_user, Framework, framework_id)
    if not (
        current_user.role == Role.COORDINATOR
        and framework.lead_organisation_id == current_user.organisation_id
    ):
        raise Forbidden(N_("Only a coordinator of the lead authority sees this report."))
    return framework


# --- consumption and social impact -------------------------------------------------------------


def _percent(part: Decimal, whole: Decimal | None) -> str | None:
    if not whole:
        return None
    return str((part * 100 / whole).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _forecast(forecast: builders.Forecast) -> dict[str, Any]:
    return {
        "pace_per_month": str(forecast.pace_per_month),
        "month": forecast.month,
        "reached": forecast.reached,
        "after_end": forecast.after_end,
    }


def consumption_json(data: dict[str, Any]) -> dict[str, Any]:
    framework = data["framework"]
    # Only accepted work counts as completed (so `completed` = `accepted`); `awaiting_acceptance`
    # is work done by the provider that the member has not accepted yet.
    money = ("committed", "completed", "accepted")
    return {
        "framework_id": framework.id,
        "reference": framework.reference,
        "estimated_value": str(data["estimated_value"]),
        "max_value": str(data["max_value"]),
        **{k: str(data[k]) for k in money},
        "awaiting_acceptance": str(data["awaiting"]),
        "percent_of_max": _percent(data["committed"], data["max_value"]),
        "percent_of_estimate": _percent(data["committed"], data["estimated_value"]),
        "forecast": _forecast(data["forecast"]),
        "lots": [
            {
                "lot_id": lot["lot_id"],
                "number": lot["number"],
                "title": lot["title"],
                "max_value": None if lot["max_value"] is None else str(lot["max_value"]),
                **{k: str(lot[k]) for k in money},
                "awaiting_acceptance": str(lot["awaiting"]),
                "percent_of_max": _percent(lot["committed"], lot["max_value"]),
                "forecast": _forecast(lot["forecast"]),
            }
            for lot in data["lots"]
        ],
        "members": formats.frame_records(data["members"]),
        "months": [{"month": m, "committed": str(v)} for m, v in data["months"].items()],
    }


@api.route("/reports/consumption", tags=[TAG])
@api.doc(
    summary="A framework's consumption against its estimate and maximum, per lot and member, with "
    "a forecast (coordinator of the lead authority)"
)
@api.arguments(ConsumptionQuerySchema, location="query")
@api.response(200)
@api.doc(responses=answers(200, "application/json"))
def consumption(args):
    if "framework" not in args:
        raise ValidationError(
            N_("This parameter is required."), fields={"framework": N_("Required.")}
        )
    framework = led_framework(args["framework"])
    return consumption_json(builders.build_consumption(db.session, framework, today()))


def social_impact_scope(framework_id: int | None) -> tuple[Framework, int | None]:
    """The framework and whose rows: a coordinator of the lead authority sees every member; a
    member (or a coordinator for its own authority) only its own rows; others 403/404."""
    if framework_id is None:
        raise ValidationError(N_("Name the framework."), fields={"framework": N_("Required.")})
    framework = get_visible_for(current_user, Framework, framework_id)
    if (
        current_user.role == Role.COORDINATOR
        and framework.lead_organisation_id == current_user.organisation_id
    ):
        return framework, None
    if current_user.role in (Role.MEMBER, Role.COORDINATOR) and current_user.organisation_id:
        return framework, current_user.organisation_id
    raise Forbidden(N_("The social-impact report is for coordinators and members."))


def social_impact_json(data: dict[str, Any]) -> dict[str, Any]:
    framework = data["framework"]
    return {
        "framework_id": framework.id,
        "reference": framework.reference,
        "year": data["year"],
        "hours_per_fte": str(data["hours_per_fte"]),
        "target_percent": str(data["target_percent"]),
        "rows": formats.frame_records(data["rows"]),
        "members": [{k: formats.plain(v) for k, v in m.items()} for m in data["members"]],
        "providers": [{k: formats.plain(v) for k, v in p.items()} for p in data["providers"]],
        "totals": {k: formats.plain(v) for k, v in data["totals"].items()},
        "social_spend_by_month": [
            {"month": m, "social_spend": str(v)} for m, v in data["social_spend_by_month"].items()
        ],
    }


def member_social_impact_json(data: dict[str, Any]) -> dict[str, Any]:
    member = data["member"]

    def plain(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: formats.plain(v) for k, v in item.items()} for item in items]

    return {
        "member_id": member.id,
        "member_name": member.name,
        "year": data["year"],
        "scope": "member" if data["whole"] else "led_frameworks",
        "hours_per_fte": str(data["hours_per_fte"]),
        "maintenance_budget": formats.plain(data["maintenance_budget"]),
        "target_percent": formats.plain(data["target_percent"]),
        "social_spend": str(data["totals"]["social_spend"]),
        "external_social_spend": formats.plain(data["external_social_spend"]),
        "social_spend_counted": str(data["social_spend_counted"]),
        "share_percent": formats.plain(data["share_percent"]),
        "target_met": data["target_met"],
        "frameworks": plain(data["frameworks"]),
        "rows": plain(data["rows"]),
        "external_spend": [
            {
                "id": e.id,
                "provider_name": e.provider_name,
                "enterprise_number": e.enterprise_number,
                "social_economy_status": e.social_economy_status,
                "amount": str(e.amount),
                "description": e.description,
            }
            for e in data["external_spend"]
        ],
        "totals": {k: formats.plain(v) for k, v in data["totals"].items()},
        "social_spend_by_month": [
            {"month": m, "social_spend": str(v)} for m, v in data["social_spend_by_month"].items()
        ],
    }


def member_social_impact_scope(member_id: int | None) -> tuple[Organisation, list[int] | None]:
    """The member a member-wide report is about and which frameworks it covers: a member its
    own, across every framework (None); a coordinator another member's only under the
    frameworks its authority leads; 404 outside reach."""
    member = report_member(member_id)
    if current_user.organisation_id == member.id:
        return member, None
    return member, list(
        db.session.scalars(
            select(Framework.id).where(
                Framework.lead_organisation_id == current_user.organisation_id
            )
        )
    )


@api.route("/reports/social-impact", tags=[TAG])
@api.doc(
    summary="Social impact in a year: of a framework (`framework`) per provider and member, or "
    "member-wide (`member` without `framework`) across every framework and lead against "
    "the member's own target, with its declared outside spend — social-economy spend, "
    "target-group hours, worker-days, FTE, tasks and defects"
)
@api.arguments(SocialImpactQuerySchema, location="query")
@api.response(200)
@api.doc(responses=answers(200, "application/json", "text/csv", XLSX))
def social_impact(args):
    kind = args["format"]
    framework_id = args.get("framework")
    year, hours_per_fte = args["year"], args["hours_per_fte"]
    if framework_id is None and ("member" in args or current_user.role == Role.MEMBER):
        member, framework_ids = member_social_impact_scope(args.get("member"))
        data = builders.build_member_social_impact(
            db.session,
            member,
            year,
            hours_per_fte=hours_per_fte,
            framework_ids=framework_ids,
        )
        filename = f"social-impact-member-{member.id}-{year}"
        if kind == "csv":
            return download(formats.member_social_impact_csv(data), "csv", filename)
        if kind == "xlsx":
            return download(formats.member_social_impact_xlsx(data), "xlsx", filename)
        return member_social_impact_json(data)
    framework, member_id = social_impact_scope(framework_id)
    data = builders.build_social_impact(
        db.session, framework, year, hours_per_fte=hours_per_fte, member_id=member_id
    )
    filename = f"social-impact-{framework.reference}-{year}"
    if kind == "csv":
        return download(formats.social_impact_csv(data), "csv", filename)
    if kind == "xlsx":
        return download(formats.social_impact_xlsx(data), "xlsx", filename)
    return social_impact_json(data)


@api.route("/reports/social-economy", tags=[TAG])
@api.doc(
    summary="Export for the Departement Werk en Sociale Economie (§7.3): per provider and member "
    "in a year, over the frameworks the coordinator's authority leads — the provider's "
    "recognitions in that year (status, number), spend and its social-economy part, "
    "target-group hours, worker-days and FTE (coordinator)"
)
@api.arguments(SocialEconomyQuerySchema, location="query")
@api.response(200)
@api.doc(responses=answers(200, "application/json", "text/csv", XLSX))
def social_economy_export(args):
    if current_user.role != Role.COORDINATOR or current_user.organisation_id is None:
        raise Forbidden(N_("The export for the region is for coordinators."))
    kind = args["format"]
    year = args["year"]
    framework_ids = list(db.session.scalars(led_frameworks(current_user.organisation_id)))
    data = builders.build_social_economy_export(
        db.session,
        framework_ids,
        year,
        hours_per_fte=args["hours_per_fte"],
    )
    filename = f"social-economy-{year}"
    if kind == "csv":
        return download(formats.social_economy_csv(data), "csv", filename)
    if kind == "xlsx":
        return download(formats.social_economy_xlsx(data), "xlsx", filename)
    return {
        "year": year,
        "hours_per_fte": str(data["hours_per_fte"]),
        "rows": [{k: formats.plain(v) for k, v in row.items()} for row in data["rows"]],
    }
