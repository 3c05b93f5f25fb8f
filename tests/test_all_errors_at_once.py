"""§7.6 all of a form's errors at once: every page form, sent with at least two independent
invalid fields (a value of the wrong type or length and, where the form has them, a rule the
service checks), answers with the form again (400), every expected message in Dutch next to
its field in that one answer, and nothing written (no row, no audit event)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from flask_babel import force_locale, gettext

from central.accounts.models import User
from central.assets.models import Asset, AssetKind, Need, ServicePlan
from central.core.audit import AuditEvent
from central.extensions import db
from central.fieldwork.models import LabourEntry
from central.frameworks.models import Accession, Framework, FrameworkChange
from central.organisations.models import Organisation, Recognition
from central.planning.models import Closure, Crew
from central.reports.models import Credit, ExternalSocialSpend, MaintenanceBudget
from tests.conftest import csrf_token
from tests.factories import make_asset, make_org, make_user
from tests.test_sweep import make_tenant

LONG = "x" * 201


@dataclass
class Case:
    role: str
    path: str
    data: dict
    # (English message, its parameters): each must be shown in Dutch in the one answer.
    expected: list[tuple[str, dict]]
    model: type
    query: str = ""
    extra: dict = field(default_factory=dict)


def m(text: str, **params) -> tuple[str, dict]:
    return text, params


CASES = {
    "asset-new": Case(
        "member",
        "/assets/new",
        {
            "code": "",
            "kind": "hydrant_underground",
            "street": LONG,
            "municipality": "Roeselare",
            "postcode": "88",
            "lat": "10",
            "lon": "3",
            "diameter_mm": "5000",
        },
        [
            m("Enter the asset's code"),
            m("At most %(max)s characters.", max=200),
            m("A postcode is four digits."),  # a rule of the service
            m("The position is outside Belgium."),  # a rule of the service
            m("Between 1 and 2000"),
        ],
        Asset,
    ),
    "asset-edit": Case(
        "member",
        "/assets/{asset_id}/edit",
        {
            "code": "HK-EDIT",
            "kind": "hydrant_underground",
            "street": "Markt",
            "municipality": "",
            "postcode": "88",
            "lat": "50.94",
            "lon": "30.1",
        },
        [
            m("Enter the municipality"),
            m("A postcode is four digits."),
            m("The position is outside Belgium."),
        ],
        Asset,
    ),
    "service-plan": Case(
        "member",
        "/service-plans/new",
        {"lot_task": "", "interval_months": "500", "season_months": "13"},
        [
            m("Choose a lot and task type"),
            m("Between 1 and 120 months"),
            m("Choose one of the options."),
        ],
        ServicePlan,
    ),
    "service-plan-twice": Case(
        "member",
        "/service-plans/new",
        {
            "lot_task": "{lot_id}:hydrant_inspection",
            "asset_kind": "",
            "interval_months": "0",
            "active": "y",
        },
        [
            m("Between 1 and 120 months"),
            # a rule: the member has an active plan for this lot, task type and kind
            m("An active plan for this lot, task type and kind exists already; change that one."),
        ],
        ServicePlan,
    ),
    "need-on-asset": Case(
        "member",
        "/needs/new",
        {"asset_code": "NOPE-1", "description": "", "quantity": "veel", "priority": "normal"},
        [
            m("No asset of your authority has this code."),  # a rule
            m("Describe what is needed"),
            m("Give a number above 0 and below 10,000,000, with at most two decimals."),
        ],
        Need,
    ),
    "need-on-place": Case(
        "member",
        "/needs/new",
        {"lat": "48.85", "lon": "2.35", "address": "", "description": LONG * 10},
        [
            m("The place is outside Belgium."),
            m("Give the address of the place."),
            m("At most %(max)s characters.", max=2000),
        ],
        Need,
    ),
    "need-in-another-municipality": Case(
        "member",
        "/needs/new",
        {"lat": "51.2194", "lon": "4.4025", "address": "", "description": ""},
        [
            # Izegem placed a need in Antwerp (issue 15): refused with the reason
            m(
                "The place lies outside your municipality: more than 2 km from all of "
                "your assets. Check the position on the map."
            ),
            m("Give the address of the place."),
            m("Describe what is needed"),
        ],
        Need,
    ),
    "public-report": Case(
        "anonymous",
        "/r/{public_token}",
        {"category": "", "text": "", "email": "geen-adres"},
        [
            m("Choose one"),
            m("Describe the problem"),
            m("Enter a valid e-mail address or leave it empty."),  # a rule
        ],
        Need,
    ),
    "need-triage": Case(
        "member",
        "/needs/{need_id}",
        {"lot_task": "", "quantity": "-1", "priority": "very"},
        [
            m("Choose one of the options."),
            m("Give a number above 0 and below 10,000,000, with at most two decimals."),
        ],
        AuditEvent,
    ),
    "crew": Case(
        "provider",
        "/crews",
        {"action": "crew", "crew-name": "x" * 101, "crew-days_per_week": "9"},
        [m("At most %(max)s characters.", max=100), m("Between 1 and 7 days a week.")],
        Crew,
    ),
    "closure": Case(
        "provider",
        "/crews",
        {
            "action": "closure",
            "start_date": "2026-03-10",
            "end_date": "2026-03-01",
            "reason": LONG,
            "crew_id": "0",
        },
        [m("On or after the first day."), m("At most %(max)s characters.", max=200)],
        Closure,
    ),
    "labour": Case(
        "provider",
        "/field/rounds/{round_id}/labour",
        {"work_date": "", "hours": "250", "workers": "1", "target_group_hours": ""},
        [
            m("Enter the work date"),
            m("At most 24 hours a day per worker."),  # a rule: 250 h by one worker
        ],
        LabourEntry,
    ),
    "budget": Case(
        "member",
        "/budgets",
        {"year": "1990", "maintenance_budget": "veel", "social_target_percent": "150"},
        [
            m("Give a year from 2000 to 2100"),
            m("Not an amount."),
            m("Give a percentage from 0 to 100, such as 15."),
        ],
        MaintenanceBudget,
    ),
    "external-spend": Case(
        "member",
        "/budgets/external-spend",
        {
            "spend-year": "1990",
            "spend-provider_name": "",
            "spend-enterprise_number": "123",
            "spend-social_economy_status": "lde",
            "spend-amount": "-5",
        },
        [
            m("Give a year from 2000 to 2100"),
            m("Enter the provider's name"),
            m("An enterprise number has ten digits and starts with 0 or 1."),
            m("Cannot be negative."),
        ],
        ExternalSocialSpend,
    ),
    "credit": Case(
        "coordinator",
        "/statements/{statement_id}/credit",
        {"amount": "-3", "vat_rate": "7", "reason": ""},
        [
            m("Choose one of the options."),
            m("Say why"),
            m("Cannot be negative."),
        ],
        Credit,
    ),
    "organisation-new": Case(
        "admin",
        "/admin/organisations/new",
        {
            "name": "",
            "kind": "authority",
            "enterprise_number": "123",
            "nis_code": "12",
            "email": "geen-adres",
            "iban": "BE00",
        },
        [
            m("Enter the organisation's name"),
            m("An enterprise number has ten digits and starts with 0 or 1."),
            m("A NIS code has five digits."),
            m("Enter a valid e-mail address"),
            m("An IBAN starts with a country code and two digits, e.g. BE68 5390 0754 7034."),
        ],
        Organisation,
    ),
    "organisation-edit": Case(
        "admin",
        "/admin/organisations/{member_id}",
        {"name": LONG, "kind": "authority", "enterprise_number": "123", "nis_code": "12"},
        [
            m("At most %(max)s characters.", max=200),
            m("An enterprise number has ten digits and starts with 0 or 1."),
            m("A NIS code has five digits."),
        ],
        AuditEvent,
    ),
    "recognition": Case(
        "admin",
        "/admin/organisations/{provider_id}/recognitions",
        {"status": "lde", "number": "", "valid_from": "morgen", "valid_until": ""},
        [m("Enter the recognition number."), m("Enter a date as YYYY-MM-DD.")],
        Recognition,
    ),
    "succession": Case(
        "admin",
        "/admin/organisations/{member_id}/succession",
        {"successor_id": "0", "effective_date": "morgen", "code_prefix": "X" * 21},
        [
            m("Choose the authority that succeeds it."),
            m("Enter a date as YYYY-MM-DD."),
            m("At most 20 characters."),
        ],
        AuditEvent,
    ),
    "user-new": Case(
        "admin",
        "/admin/users/new",
        {"email": "geen-adres", "role": "member", "organisation_id": "0", "password": "kort"},
        [
            m("Enter a valid e-mail address"),
            m("Required for this role."),  # a rule
            m("At least 10 characters"),
        ],
        User,
    ),
    "user-edit": Case(
        "admin",
        "/admin/users/{member_user_id}",
        {"email": "", "role": "provider", "organisation_id": "{member_id}", "password": "kort"},
        [
            m("Enter an e-mail address"),
            m("Choose a provider."),  # a rule: a provider works for a provider
            m("At least 10 characters"),
        ],
        AuditEvent,
    ),
    "accession": Case(
        "member",
        "/frameworks/{framework_id}/accede",
        {"lot_ids": "999999", "order_reference": ""},
        [m("Choose one of the options."), m("Enter your order reference")],
        Accession,
    ),
    "framework-change": Case(
        "coordinator",
        "/frameworks/{framework_id}/changes/new",
        {"kind": "", "description": "", "value": "veel", "effective_from": ""},
        [
            m("Choose the legal ground."),
            m("Describe the change"),
            m("Not an amount."),
        ],
        FrameworkChange,
    ),
    "framework-new": Case(
        "coordinator",
        "/frameworks/new",
        {
            "reference": "",
            "title": "Onderhoud",
            "start_date": "2027-01-01",
            "end_date": "2026-01-01",
            "estimated_value": "100",
            "max_value": "veel",
            "social_target_percent": "10",
        },
        [
            m("Enter the reference"),
            m("Not an amount."),
            m("Must be after the start date."),  # a rule
        ],
        Framework,
    ),
    "asset-kind": Case(
        "coordinator",
        "/asset-kinds",
        {"code": "Haag Groot", "name_nl": "", "name_en": "x" * 101},
        [
            m("Lower-case letters, digits and _, starting with a letter."),
            m("Enter a name."),
            m("At most %(max)s characters.", max=100),
        ],
        AssetKind,
    ),
    "password": Case(
        "member",
        "/password",
        {"current_password": "", "password": "kort", "confirm": "anders"},
        [
            m("Enter your current password"),
            m("At least 10 characters"),
            m("The two passwords are not the same"),
        ],
        AuditEvent,
    ),
}


@pytest.fixture
def world(db):
    tenant = make_tenant()
    from central.reports.models import Statement
    from central.reports.services import issue_statements

    issue_statements(db.session, date(2025, 7, 1))
    ids = dict(tenant.ids)
    ids["statement_id"] = db.session.scalar(
        db.select(Statement.id).where(Statement.member_id == ids["member_id"])
    )
    ids["member_user_id"] = tenant.users["member"].id
    ids["public_token"] = db.session.get(Asset, ids["asset_id"]).public_token
    # The labour form takes a round in progress.
    from central.planning.models import Round, RoundStatus

    round_ = db.session.get(Round, ids["round_id"])
    round_.status = RoundStatus.IN_PROGRESS
    round_.scheduled_date = date.today() - timedelta(days=1)
    make_asset(db.session.get(Organisation, ids["member_id"]))  # enough assets to know its area
    users = dict(tenant.users, admin=make_user("admin"))
    make_org("provider")  # another provider, for the forms that choose one
    db.session.commit()
    return users, ids


def _messages(body: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def _count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_error_of_a_page_form_at_once(app, client, login_as, world, name):
    case = CASES[name]
    users, ids = world
    if case.role != "anonymous":
        login_as(users[case.role])
    data = {k: v.format(**ids) for k, v in case.data.items()}
    before = (_count(case.model), _count(AuditEvent))
    response = client.post(case.path.format(**ids), data={**data, "csrf_token": csrf_token(client)})
    body = response.get_data(as_text=True)
    assert response.status_code == 400, body[:3000]
    assert '<html lang="nl"' in body
    text = _messages(body)
    with app.test_request_context(), force_locale("nl"):
        wanted = [gettext(message, **params) for message, params in case.expected]
        english = [message % params if params else message for message, params in case.expected]
    missing = [w for w in wanted if w not in text]
    assert not missing, f"{name}: not shown {missing}; shown: {re.findall(r'Fout: [^.]*.', text)}"
    untranslated = [e for e, w in zip(english, wanted, strict=True) if e == w]
    assert not untranslated, f"{name}: English in the Dutch UI {untranslated}"
    assert text.count("Fout:") >= len(wanted)
    assert (_count(case.model), _count(AuditEvent)) == before
