"""The Roeselare demo: the hydrant purchasing central, its eleven members and two providers.

Loading is idempotent: organisations are found by enterprise number, users by e-mail.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from central.accounts.models import Role, User
from central.accounts.services import create_user
from central.accounts.two_factor import enrol_with_secret
from central.core.validators import kbo_with_check_digits
from central.extensions import db
from central.organisations.demo import MEMBERS
from central.organisations.models import Organisation

# (name, first eight KBO digits, NIS code). The enterprise numbers are made up for the demo:
# eight digits completed with valid mod-97 check digits.
LEAD = ("Stad Roeselare", "02164411", "36015")
PROVIDERS = [
    ("De Kraanwerkers LDE vzw", "08123456", "lde", "info@kraanwerkers.example"),
    ("Maatwerkbedrijf Mandel & Leie", "04234567", "maatwerkbedrijf", "info@mandelleie.example"),
]

# (e-mail, password, role) — printed by `central demo`.
DEMO_LOGINS = [
    ("admin@central.example", "demo-admin-2026", Role.ADMIN),
    ("coordinator@roeselare.example", "demo-coordinator-2026", Role.COORDINATOR),
    ("member@izegem.example", "demo-member-2026", Role.MEMBER),
    ("crew@kraanwerkers.example", "demo-provider-2026", Role.PROVIDER),
    ("member@ingelmunster.example", "demo-member-2026", Role.MEMBER),
    ("groen@mandelleie.example", "demo-provider-2026", Role.PROVIDER),
    ("brandweer@midwest.example", "demo-firezone-2026", Role.VIEWER),
    ("water@watergroep.example", "demo-water-2026", Role.VIEWER),
]
# The organisation of the logins of the green-maintenance case (the others by role below).
CASE_LOGINS = {
    "member@ingelmunster.example": "Gemeente Ingelmunster",
    "groen@mandelleie.example": "Maatwerkbedrijf Mandel & Leie",
}
# Which login shows which case of the Praktijkgids, printed by `central demo`.
DEMO_CASES = {
    "coordinator@roeselare.example": "Roeselare: hydrant and green-maintenance frameworks, "
    "spend, social impact (Hasselt-like 15 % target), regional export; Ghent's case: framework "
    "RSL-2025-BK-01, lot 2, 'Sociale clausule en actieplan' under Maatwerkbedrijf Mandel & Leie "
    "(social clause, subcontractor, action plan half realised)",
    "member@izegem.example": "Izegem: hydrants, needs, acceptance, statements",
    "crew@kraanwerkers.example": "De Kraanwerkers (LDE): hydrant rounds on a phone; as "
    "subcontractor of Mandel & Leie, 'Werk in onderaanneming' once that work is planned",
    "member@ingelmunster.example": "Ingelmunster: green maintenance (hedges per m, lawns per m², "
    "ecological mowing in June and September)",
    "groen@mandelleie.example": "Mandel & Leie (maatwerkbedrijf): this week's hedge round",
    "brandweer@midwest.example": "Fire zone: hydrants out of service",
}
# The fire zone and the water company that the members name (SPEC 7.4), and their viewers.
FIRE_ZONE = ("Hulpverleningszone Midwest", "02092011", "brandweer@midwest.example")
WATER_COMPANY = ("De Watergroep", "02241491", "water@watergroep.example")
# Two-factor secrets (base32) of the roles that need a code after the password, printed by
# `central demo` to type into an authenticator app. Demo only: never use a known secret elsewhere.
DEMO_TOTP_SECRETS = {
    "admin@central.example": "CENTRALDEMOADMINKEYROESELARE2Z3X",
    "coordinator@roeselare.example": "CENTRALDEMOCOORDINATORROESELARE2",
}


def _organisation(name: str, digits: str, kind: str, **extra: object) -> Organisation:
    number = kbo_with_check_digits(digits)
    org = db.session.scalar(select(Organisation).where(Organisation.enterprise_number == number))
    if org is None:
        org = Organisation(name=name, kind=kind, enterprise_number=number, **extra)
        db.session.add(org)
        db.session.flush()
    return org


def _provider(name: str, digits: str, status: str, email: str) -> Organisation:
    """A demo provider; a social-economy one with its recognition (SPEC 7.2): a number in the
    Flemish government's style, valid from 2024 for six years."""
    from central.organisations.models import Recognition

    org = _organisation(name, digits, "provider", email=email)
    if status != "none" and not org.recognitions:
        db.session.add(
            Recognition(
                organisation=org,
                status=status,
                number=f"{status.upper()[:3]}-2024-{digits[-4:]}",
                valid_from=date(2024, 1, 1),
                valid_until=date(2029, 12, 31),
            )
        )
        db.session.flush()
    return org


def load_demo() -> dict[str, Organisation]:
    """Create whatever of the demo is missing, then commit."""
    lead = _organisation(
        LEAD[0], LEAD[1], "authority", nis_code=LEAD[2], email="aankoopcentrale@roeselare.example"
    )
    members = {
        name: _organisation(name, digits, "authority", nis_code=nis)
        for name, digits, nis in MEMBERS
    }
    providers = [
        _provider(name, digits, status, email) for name, digits, status, email in PROVIDERS
    ]
    fire_zone = _organisation(FIRE_ZONE[0], FIRE_ZONE[1], "fire_zone", email=FIRE_ZONE[2])
    water = _organisation(
        WATER_COMPANY[0], WATER_COMPANY[1], "water_company", email=WATER_COMPANY[2]
    )
    orgs = {
        "lead": lead,
        "member": members["Stad Izegem"],
        "provider": providers[0],
        "fire_zone": fire_zone,
        "water_company": water,
    }
    org_for_role = {
        Role.ADMIN: None,
        Role.COORDINATOR: lead,
        Role.MEMBER: orgs["member"],
        Role.PROVIDER: providers[0],
    }
    viewer_org = {FIRE_ZONE[2]: fire_zone, WATER_COMPANY[2]: water}
    for email, password, role in DEMO_LOGINS:
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            if email in CASE_LOGINS:
                org = db.session.scalar(
                    select(Organisation).where(Organisation.name == CASE_LOGINS[email])
                )
            else:
                org = viewer_org[email] if role == Role.VIEWER else org_for_role[role]
            user, _generated = create_user(
                email=email, role=role, organisation_id=org.id if org else None, password=password
            )
        if email in DEMO_TOTP_SECRETS and user.two_factor_required:
            enrol_with_secret(user, DEMO_TOTP_SECRETS[email])
    db.session.flush()
    # Each domain adds its part of the demo here, in dependency order; every step is idempotent.
    for step in demo_steps():
        step(orgs)
    db.session.commit()
    return orgs


def demo_steps() -> list:
    """The domain demo loaders, each `load(orgs)`; imported here to keep the import graph flat."""
    from central import green_demo
    from central.assets import demo as assets_demo
    from central.fieldwork import demo as fieldwork_demo
    from central.frameworks import demo as frameworks_demo
    from central.frameworks import social_demo
    from central.planning import demo as planning_demo
    from central.reports import demo as reports_demo

    # Assets after frameworks: service plans need the members' approved accessions.
    # Planning after assets: last year's inspections of the planned hydrants.
    # Field work after planning: this week's rounds next to last year's history.
    # The fire service after field work: the members name their fire zone and water company and
    # a few hydrants are out of service, with their history.
    # Green maintenance (its own framework, kinds, assets and plans) before planning, which
    # adds last season's history of every plan; its phone round after that history.
    # Reports last: budgets, labour of past rounds and the statements of every past month.
    return [
        frameworks_demo.load,
        assets_demo.load,
        green_demo.load,
        planning_demo.load,
        fieldwork_demo.load,
        green_demo.load_phone_round,
        assets_demo.load_fire_service,
        social_demo.load,  # Ghent's case: a subcontractor and a half-realised action plan
        reports_demo.load,
    ]
