"""Factories for test data: valid organisations and users with unique numbers and addresses."""

from __future__ import annotations

import itertools

from central.accounts.models import User
from central.accounts.services import create_user
from central.core.validators import kbo_with_check_digits
from central.extensions import db
from central.organisations.models import Organisation

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def make_org(kind: str = "authority", **values) -> Organisation:
    n = next(_seq)
    defaults = {
        "name": f"{'Gemeente' if kind == 'authority' else 'Provider'} {n}",
        "kind": kind,
        "enterprise_number": kbo_with_check_digits(f"{n:08d}".replace("0", "1", 1)),
    }
    if kind == "authority":
        defaults["nis_code"] = f"{90000 + n:05d}"[-5:]
    # The status comes from a recognition (SPEC 7.2): one valid since 2000, open-ended.
    status = values.pop("social_economy_status", "none")
    defaults.update(values)
    org = Organisation(**defaults)
    db.session.add(org)
    db.session.flush()
    if status != "none":
        recognise(org, status)
    return org


def recognise(org: Organisation, status: str = "lde", valid_from=None, valid_until=None, **values):
    """A social-economy recognition of `org` (valid from 2000 unless told)."""
    from datetime import date

    from central.organisations.models import Recognition

    recognition = Recognition(
        organisation_id=org.id,
        status=status,
        number=values.pop("number", f"REC-{next(_seq)}"),
        valid_from=valid_from or date(2000, 1, 1),
        valid_until=valid_until,
        **values,
    )
    db.session.add(recognition)
    db.session.flush()
    db.session.expire(org, ["recognitions"])
    return recognition


def make_user(role: str = "member", org: Organisation | None = None, **values) -> User:
    if org is None and role != "admin":
        org = make_org("provider" if role == "provider" else "authority")
    n = next(_seq)
    user, _ = create_user(
        email=values.pop("email", f"{role}{n}@example.org"),
        role=role,
        organisation_id=org.id if org else None,
        password=values.pop("password", PASSWORD),
    )
    for key, value in values.items():
        setattr(user, key, value)
    db.session.flush()
    return user


def make_token(user: User, name: str = "test") -> str:
    """A personal API token for `user`; returns the secret to send as `Authorization: Bearer`."""
    from central.accounts.services import create_token

    _token, secret = create_token(user, name)
    return secret


# --- frameworks (made directly, valid as the services would make them) ------------------------


def make_framework(lead: Organisation | None = None, **values):
    """A draft framework led by `lead` (a new authority by default), 2025 to 2028."""
    from datetime import date
    from decimal import Decimal

    from central.frameworks.models import Framework

    n = next(_seq)
    defaults = {
        "reference": f"FW-{n:05d}",
        "title": f"Framework {n}",
        "lead_organisation_id": (lead or make_org("authority")).id,
        "reserved": False,
        "start_date": date(2025, 1, 1),
        "end_date": date(2028, 12, 31),
        "estimated_value": Decimal("400000.00"),
        "max_value": Decimal("500000.00"),
        "social_target_percent": Decimal("15.00"),
        # SPEC 7.2: procured in an open procedure published in the OJEU, standstill ended.
        "procedure": "open",
        "cpv_codes": ["50413200-5"],
        "notice_references": ["2024/S 190-571234"],
        "award_decision_date": date(2024, 11, 15),
        "standstill_end": date(2024, 12, 2),
    }
    defaults.update(values)
    framework = Framework(**defaults)
    db.session.add(framework)
    db.session.flush()
    return framework


def make_lot(framework, **values):
    from central.frameworks.models import Lot

    number = values.pop("number", len(framework.lots) + 1)
    defaults = {"title": f"Lot {number}", "service_type": "hydrant_maintenance"}
    defaults.update(values)
    lot = Lot(framework_id=framework.id, number=number, **defaults)
    db.session.add(lot)
    db.session.flush()
    db.session.expire(framework, ["lots"])
    return lot


def make_task_type(lot, code: str = "hydrant_inspection", **values):
    from central.frameworks.models import TaskType

    defaults = {
        "name": code.replace("_", " ").capitalize(),
        "checklist": [
            {"key": "lid", "label": "Lid and frame", "kind": "pass_fail", "min": None, "max": None},
            {
                "key": "pressure",
                "label": "Static pressure",
                "kind": "reading",
                "min": "1.5",
                "max": "10",
            },
        ],
    }
    defaults.update(values)
    task_type = TaskType(lot_id=lot.id, code=code, **defaults)
    db.session.add(task_type)
    db.session.flush()
    db.session.expire(lot, ["task_types"])
    return task_type


def make_price(task_type, unit_price="18.50", valid_from=None, provider=None, **values):
    """A price line of `task_type`: the lot's common line, or `provider`'s own (SPEC 7.2)."""
    from datetime import date
    from decimal import Decimal

    from central.frameworks.models import PriceLine

    line = PriceLine(
        lot_id=task_type.lot_id,
        task_type_id=task_type.id,
        provider_id=provider.id if provider is not None else None,
        unit=values.pop("unit", "piece"),
        unit_price=Decimal(unit_price),
        vat_rate=Decimal(values.pop("vat_rate", "21.00")),
        valid_from=valid_from or date(2025, 1, 1),
    )
    db.session.add(line)
    db.session.flush()
    return line


def make_award(lot, provider: Organisation | None = None, rank: int = 1, weekly_capacity=100):
    from central.frameworks.models import Award

    provider = provider or make_org("provider", social_economy_status="lde")
    award = Award(
        lot_id=lot.id,
        provider_id=provider.id,
        rank=rank,
        weekly_capacity=weekly_capacity,
        social_economy_status=provider.social_economy_status,
    )
    db.session.add(award)
    db.session.flush()
    db.session.expire(lot, ["awards"])
    return award


def name_beneficiaries(framework, *orgs: Organisation) -> None:
    from central.frameworks.models import FrameworkBeneficiary

    for org in orgs:
        db.session.add(FrameworkBeneficiary(framework_id=framework.id, organisation_id=org.id))
    db.session.flush()
    db.session.expire(framework, ["beneficiaries"])


def make_accession(framework, member: Organisation, lots=None, status: str = "approved", **values):
    """An accession of `member` to `lots` (default: every lot), approved by default."""
    from central.core.types import utcnow
    from central.frameworks.models import Accession, AccessionLot

    lots = list(framework.lots) if lots is None else list(lots)
    covering = status in ("requested", "approved")
    accession = Accession(
        framework_id=framework.id,
        member_id=member.id,
        order_reference=values.pop("order_reference", f"ORDER-{next(_seq)}"),
        status=status,
        decided_at=None if status == "requested" else utcnow(),
        reason=values.pop("reason", "Not eligible." if status == "rejected" else None),
        **values,
    )
    accession.lot_links = [
        AccessionLot(lot_id=lot.id, member_id=member.id, covering=covering) for lot in lots
    ]
    db.session.add(accession)
    db.session.flush()
    return accession


def make_active_framework(lead: Organisation | None = None, members=(), providers=(), **values):
    """An active framework with one hydrant lot (task type, price, award) and `members` named
    beneficiaries with approved accessions; `providers` are awarded in rank order."""
    from central.frameworks.models import FrameworkStatus

    framework = make_framework(lead, status=FrameworkStatus.ACTIVE, **values)
    lot = make_lot(framework)
    task_type = make_task_type(lot)
    make_price(task_type)
    for rank, provider in enumerate(providers or [None], start=1):
        make_award(lot, provider, rank=rank)
    name_beneficiaries(framework, *members)
    for member in members:
        make_accession(framework, member)
    return framework


# --- assets ------------------------------------------------------------------------------------


def make_asset(member: Organisation, **values):
    """An active underground hydrant of `member` in Roeselare."""
    from central.assets.models import Asset

    n = next(_seq)
    defaults = {
        "code": f"HK-{n:05d}",
        "kind": "hydrant_underground",
        "street": "Kerkstraat",
        "house_number": str(n % 200 + 1),
        "postcode": "8800",
        "municipality": "Roeselare",
        "lat": 50.9465 + (n % 100) / 10000,
        "lon": 3.1235 + (n % 100) / 10000,
    }
    defaults.update(values)
    asset = Asset(member_id=member.id, **defaults)
    db.session.add(asset)
    db.session.flush()
    return asset


# --- planning ----------------------------------------------------------------------------------


def make_service_plan(member: Organisation, lot, task_type: str = "hydrant_inspection", **values):
    """An active plan of `member`: every asset (or `asset_kind`) every 12 months, all year."""
    from central.assets.models import ServicePlan, months_to_mask

    season = values.pop("season_months", None)
    plan = ServicePlan(
        member_id=member.id,
        lot_id=lot.id,
        task_type=task_type,
        asset_kind=values.pop("asset_kind", None),
        interval_months=values.pop("interval_months", 12),
        season_months=months_to_mask(season),
        **values,
    )
    db.session.add(plan)
    db.session.flush()
    return plan


def make_need(member: Organisation, lot=None, asset=None, **values):
    """An open need of `member` in `lot`: on `asset`, or on a place near Roeselare."""
    from central.assets.models import Need

    defaults = {
        "lot_id": lot.id if lot else None,
        "task_type": "hydrant_inspection" if lot else None,
        "description": "Hydrant leaks",
        "priority": "normal",
    }
    if asset is None:
        defaults.update(lat=50.95, lon=3.13, address="Marktplein 1, 8800 Roeselare")
    defaults.update(values)
    need = Need(member_id=member.id, asset_id=asset.id if asset else None, **defaults)
    db.session.add(need)
    db.session.flush()
    return need


def make_round(lot, member: Organisation, assets=(), provider=None, **values):
    """A round of `member` in `lot` with one open task per asset (price 18.50, 21 % VAT)."""
    from datetime import date
    from decimal import Decimal

    from central.planning.models import Round, Task

    task_type = values.pop("task_type", None) or lot.task_types[0]
    defaults = {
        "status": "assigned" if provider else "planned",
        "due_date": date(2026, 6, 30),
        "route_km": Decimal("1.20"),
    }
    defaults.update(values)
    task_status = defaults.pop("task_status", "open")
    round_ = Round(
        framework_id=lot.framework_id,
        lot_id=lot.id,
        member_id=member.id,
        provider_id=provider.id if provider else None,
        **defaults,
    )
    round_.tasks = [
        Task(
            sequence=n,
            asset_id=asset.id,
            task_type_id=task_type.id,
            task_type=task_type.code,
            quantity=Decimal("1"),
            unit="piece",
            unit_price=Decimal("18.50"),
            vat_rate=Decimal("21.00"),
            due_date=round_.due_date,
            status=task_status,
            result="ok" if task_status in ("done", "accepted") else None,
            done_on=round_.due_date if task_status in ("done", "accepted") else None,
        )
        for n, asset in enumerate(assets, start=1)
    ]
    db.session.add(round_)
    db.session.flush()
    return round_


# --- reports -----------------------------------------------------------------------------------


def make_work(lot, member: Organisation, provider: Organisation, tasks, **values):
    """A round of `member` in `lot` done by `provider`, with one task per dict in `tasks`:
    `unit_price`, `quantity`, `vat_rate`, `unit`, `status` (default accepted), `result`
    (default ok), `accepted_at` (an aware datetime; default mid-June 2025), `task_type`."""
    from datetime import UTC, date, datetime
    from decimal import Decimal

    from central.planning.models import Round, Task

    default_type = lot.task_types[0]
    round_ = Round(
        framework_id=lot.framework_id,
        lot_id=lot.id,
        member_id=member.id,
        provider_id=provider.id,
        status=values.pop("status", "accepted"),
        due_date=values.pop("due_date", date(2025, 6, 30)),
        route_km=Decimal("1.00"),
        **values,
    )
    made = []
    for n, spec in enumerate(tasks, start=1):
        status = spec.get("status", "accepted")
        result = spec.get("result", "ok" if status in ("done", "accepted") else None)
        task_type = spec.get("task_type", default_type)
        made.append(
            Task(
                sequence=n,
                asset_id=make_asset(member).id,
                task_type_id=task_type.id,
                task_type=task_type.code,
                quantity=Decimal(str(spec.get("quantity", "1"))),
                unit=spec.get("unit", "piece"),
                unit_price=Decimal(str(spec.get("unit_price", "18.50"))),
                vat_rate=Decimal(str(spec.get("vat_rate", "21.00"))),
                due_date=round_.due_date,
                status=status,
                result=result,
                done_on=spec.get("done_on", date(2025, 6, 10)) if result else None,
                accepted_at=(
                    spec.get("accepted_at", datetime(2025, 6, 15, 10, 0, tzinfo=UTC))
                    if status == "accepted"
                    else None
                ),
                **({"created_at": spec["created_at"]} if "created_at" in spec else {}),
            )
        )
    round_.tasks = made
    db.session.add(round_)
    db.session.flush()
    return round_


# --- two-factor sign-in ----------------------------------------------------------------------


def enrol_two_factor(user: User, secret: str | None = None) -> str:
    """Set up two-factor sign-in for `user` (as after a confirmed enrolment); returns the secret."""
    import pyotp

    from central.accounts.two_factor import enrol_with_secret

    secret = secret or pyotp.random_base32()
    enrol_with_secret(user, secret)
    return secret


def next_totp_code(user: User) -> str:
    """A code the server accepts now for `user`: the current or next 30-second step, newer than
    the last step used (codes are good once); waits for a new step when both are used."""
    import time
    from datetime import UTC, datetime

    import pyotp

    from central.accounts.models import TotpCredential

    credential = db.session.get(TotpCredential, user.id)
    db.session.refresh(credential)
    totp = pyotp.TOTP(credential.secret)
    while True:
        now = totp.timecode(datetime.now(UTC))
        for step in (now, now + 1):
            if credential.last_used_step is None or step > credential.last_used_step:
                return totp.generate_otp(step)
        time.sleep(1)
