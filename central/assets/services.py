"""Inventory rules: assets (rule 9), the import (upsert by code, all or nothing), service plans
(rule 10, only in acceded lots) and needs (on an own asset or on a place)."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from central.assets import importer
from central.assets.models import (
    ASSET_FIELDS,
    Asset,
    AssetKind,
    AssetStatus,
    Need,
    NeedPriority,
    NeedSource,
    NeedStatus,
    ServicePlan,
    months_to_mask,
)
from central.assets.queries import kind_lookup, member_area
from central.assets.schemas import PLACE, AssetSchema, NeedSchema, ServicePlanSchema
from central.core import audit
from central.core.errors import N_, Conflict, Message, NotFound, ValidationError
from central.core.fields import load
from central.core.types import utcnow
from central.extensions import db
from central.frameworks.reach import named_frameworks

IMPORT_MAX_BYTES = 20 * 1024 * 1024  # SPEC section 5: an asset import file is at most 20 MB

# Every field of an asset loads through AssetSchema (types, lengths, ranges): one instance,
# built once. The service checks the rules: a known kind, a position in Belgium, a code unique
# within the authority, a Belgian postcode.
ASSET_INPUT = AssetSchema(only=ASSET_FIELDS)
# Compared by an import to tell changed from unchanged rows.
IMPORT_FIELDS = tuple(f for f in ASSET_FIELDS if f != "code")
OPTIONAL_IMPORT_FIELDS = frozenset({"water_company", "diameter_mm", "measure", "notes"})


# --- assets -----------------------------------------------------------------------------------


def _clean_asset(values: dict[str, Any], current: Asset | None, member_id: int) -> dict[str, Any]:
    merged = {f: getattr(current, f) for f in ASSET_FIELDS} if current else {}
    merged.update({k: v for k, v in values.items() if k in ASSET_FIELDS})
    loaded, errors = load(ASSET_INPUT, merged)
    merged.update({name: loaded.get(name) for name in ASSET_FIELDS})
    if merged["postcode"] and not (
        merged["postcode"].isdigit()
        and len(merged["postcode"]) == 4
        and merged["postcode"][0] != "0"
    ):
        errors["postcode"] = N_("A postcode is four digits.")
    kind = merged["kind"]
    if kind is not None:
        known = kind_lookup()
        if kind.lower() not in known:
            errors["kind"] = N_("Unknown kind of asset.")
        else:
            merged["kind"] = known[kind.lower()]
    lat, lon = merged["lat"], merged["lon"]
    if lat is not None and lon is not None:
        if not importer.in_belgium(lat, lon):
            errors["lat"] = N_("The position is outside Belgium.")
        merged["lat"] = round(lat, importer.COORDINATE_DECIMALS)
        merged["lon"] = round(lon, importer.COORDINATE_DECIMALS)
    if not errors:
        stmt = select(Asset.id).where(Asset.member_id == member_id, Asset.code == merged["code"])
        if current is not None:
            stmt = stmt.where(Asset.id != current.id)
        if db.session.scalar(stmt) is not None:
            errors["code"] = N_("Another asset of your authority has this code.")
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    return merged


def _require_member_active(member_id: int) -> None:
    """SPEC 7.2: a merged municipality is read-only (409); its successor holds the inventory."""
    from central.organisations.models import Organisation
    from central.organisations.succession import require_active

    require_active(db.session.get(Organisation, member_id))


def create_asset(member_id: int, values: dict[str, Any], *, actor: Any) -> Asset:
    """Add an asset to a member's inventory (rule 9: its code is unique there)."""
    _require_member_active(member_id)
    asset = Asset(member_id=member_id, **_clean_asset(values, None, member_id))
    db.session.add(asset)
    db.session.flush()
    audit.record("asset.created", asset, actor=actor, code=asset.code)
    return asset


def update_asset(asset: Asset, values: dict[str, Any], *, actor: Any) -> Asset:
    """Change an active asset; `status: retired` retires it. A retired asset stays retired."""
    status = values.get("status")
    if status is not None and status not in set(AssetStatus):
        raise ValidationError(
            N_("Unknown status."), fields={"status": N_("Choose active or retired.")}
        )
    if not asset.is_active:
        raise Conflict(N_("A retired asset cannot change; add a new asset instead."))
    cleaned = _clean_asset(values, asset, asset.member_id)
    changed = sorted(k for k, v in cleaned.items() if getattr(asset, k) != v)
    for key, value in cleaned.items():
        setattr(asset, key, value)
    db.session.flush()
    if changed:
        audit.record("asset.updated", asset, actor=actor, fields=changed)
    if status == AssetStatus.RETIRED:
        retire_asset(asset, actor=actor)
    return asset


def retire_asset(asset: Asset, *, actor: Any) -> Asset:
    """Retire an asset: it keeps its history and is never planned again; its open tasks (not yet
    done, so nothing billed) are cancelled, so that no crew is sent to it and they commit no
    value, and its open needs are cancelled. Done and accepted work stays."""
    if not asset.is_active:
        raise Conflict(N_("The asset is already retired."))
    from central.planning.services import cancel_open_tasks_of_asset

    asset.status = AssetStatus.RETIRED
    asset.retired_at = utcnow()
    tasks_cancelled = cancel_open_tasks_of_asset(asset.id, actor=actor)
    cancelled = db.session.execute(
        update(Need)
        .where(Need.asset_id == asset.id, Need.status == NeedStatus.OPEN)
        .values(status=NeedStatus.CANCELLED, updated_at=utcnow())
        .returning(Need.id)
    ).scalars()
    cancelled_ids = list(cancelled)
    db.session.flush()
    audit.record(
        "asset.retired",
        asset,
        actor=actor,
        code=asset.code,
        needs_cancelled=cancelled_ids,
        tasks_cancelled=tasks_cancelled,
    )
    return asset


# --- import -----------------------------------------------------------------------------------


@dataclass
class ImportOutcome:
    """What an import does (or, as a preview, would do)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0  # rows matching retired assets: updated or not, they stay retired
    dry_run: bool = True
    problems: list[importer.Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "retired": self.retired,
            "dry_run": self.dry_run,
            "ignored_columns": self.ignored_columns,
        }


class ImportRefused(ValidationError):
    """The file has problems: nothing is imported; `problems` lists every one."""

    code = "invalid_file"

    def __init__(self, problems: list[importer.Problem]):
        file_level = [p.message for p in problems if p.line is None]
        rows = {p.line for p in problems if p.line is not None}
        if file_level:
            message = file_level[0]
        elif len(rows) == 1:
            message = N_("1 row is invalid; nothing was imported.")
        else:
            message = Message(
                N_("%(count)d rows are invalid; nothing was imported."), count=len(rows)
            )
        super().__init__(message, fields={"file": file_level} if file_level else None)
        self.problems = problems


class ImportTooLarge(ImportRefused):
    """The file is above the limits of what is unpacked and parsed (413); nothing is read."""

    status = 413
    code = "too_large"


def parse_import(data: bytes) -> importer.ParsedFile:
    """The file parsed and checked row by row. Raises ImportTooLarge."""
    try:
        return importer.parse_asset_file(data, kind_lookup())
    except importer.WorkbookTooLarge as exc:
        raise ImportTooLarge([importer.Problem(None, exc.message)]) from None


def import_assets(
    member_id: int, data: bytes, *, actor: Any, dry_run: bool = False
) -> ImportOutcome:
    """Upsert a member's assets by code from a CSV/XLSX file, all rows or none (rule 9).

    Idempotent: a row equal to the stored asset is `unchanged`, so the same file twice changes
    nothing. Assets missing from the file are left as they are; rows of retired assets update
    their data but they stay retired. The writes are two set-based statements (one bulk insert,
    one bulk update by primary key) in the caller's transaction."""
    _require_member_active(member_id)
    parsed = parse_import(data)
    if not parsed.ok:
        raise ImportRefused(parsed.problems)
    rows = parsed.records()
    # An optional column the file does not have leaves that field as it is (a GIS export without
    # `measure` must not wipe the lengths entered by hand).
    absent = OPTIONAL_IMPORT_FIELDS - parsed.columns
    if absent:
        rows = [{k: v for k, v in row.items() if k not in absent} for row in rows]
    compared = [f for f in IMPORT_FIELDS if f not in absent]
    stored = {
        row.code: row
        for row in db.session.execute(
            select(Asset.id, Asset.status, *(getattr(Asset, f) for f in ASSET_FIELDS)).where(
                Asset.member_id == member_id
            )
        )
    }
    outcome = ImportOutcome(dry_run=dry_run, ignored_columns=parsed.ignored_columns)
    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    now = utcnow()
    for row in rows:
        current = stored.get(row["code"])
        if current is None:
            new_rows.append(
                {
                    **row,
                    "member_id": member_id,
                    "status": AssetStatus.ACTIVE.value,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            continue
        if current.status == AssetStatus.RETIRED:
            outcome.retired += 1
        if any(getattr(current, f) != row[f] for f in compared):
            changed_rows.append({"id": current.id, **row, "updated_at": now})
        else:
            outcome.unchanged += 1
    outcome.created = len(new_rows)
    outcome.updated = len(changed_rows)
    if dry_run:
        return outcome
    try:
        with db.session.begin_nested():
            # Core statements on the table: one executemany each, no ORM work per row.
            table = Asset.__table__
            if new_rows:
                db.session.execute(table.insert(), new_rows)
            if changed_rows:
                db.session.execute(
                    table.update().where(table.c.id == bindparam("asset_id")),
                    [
                        {**{k: v for k, v in r.items() if k != "id"}, "asset_id": r["id"]}
                        for r in changed_rows
                    ],
                )
    except IntegrityError:
        raise Conflict(
            N_("Another import for your authority ran at the same time. Try again.")
        ) from None
    from central.organisations.models import Organisation

    audit.record(
        "asset.imported",
        db.session.get(Organisation, member_id),
        actor=actor,
        sha256=hashlib.sha256(data).hexdigest(),
        **{k: v for k, v in outcome.as_dict().items() if k in ("created", "updated", "unchanged")},
    )
    db.session.expire_all()
    return outcome


def export_rows(member_id: int) -> list[dict[str, Any]]:
    """A member's assets as rows for the CSV export (the import's columns)."""
    stmt = (
        select(*(getattr(Asset, f) for f in ASSET_FIELDS))
        .where(Asset.member_id == member_id)
        .order_by(Asset.code)
    )
    return [dict(row._mapping) for row in db.session.execute(stmt)]


# --- acceded lots and task types --------------------------------------------------------------


def approved_lot_ids(member_id: int) -> set[int]:
    """Lots a member has acceded to by an approved accession (rule 3)."""
    from central.frameworks.models import Accession, AccessionLot

    stmt = (
        select(AccessionLot.lot_id)
        .join(Accession, Accession.id == AccessionLot.accession_id)
        .where(Accession.member_id == member_id, Accession.status == "approved")
    )
    return set(db.session.scalars(stmt))


def _check_lot_and_task_type(
    member_id: int, lot_id: int | None, task_type: str | None, errors: dict[str, Any]
) -> tuple[int | None, str | None]:
    """The lot (loaded, or its error in `errors`) must be one of the frameworks naming the
    member (else unknown, 400) and one it acceded to (409, `_require_acceded`), the task type
    one of the lot's task types; a task type needs its lot."""
    from central.frameworks.models import Lot, TaskType

    if lot_id is None:
        if task_type and errors.get("lot_id") in (None, CHOOSE_LOT):
            errors["task_type"] = N_("Choose the lot of the task type.")
        return None, None
    # A lot outside the member's reach (of a framework that does not name it, or a draft) is
    # answered as if absent: the same 400 as an unknown id, not the 409 of a lot not acceded.
    if (
        db.session.scalar(
            select(Lot.id).where(
                Lot.id == lot_id, Lot.framework_id.in_(named_frameworks(member_id))
            )
        )
        is None
    ):
        errors["lot_id"] = N_("Unknown lot.")
        errors.pop("task_type", None)
        return None, None
    if (
        task_type is not None
        and db.session.scalar(
            select(TaskType.id).where(TaskType.lot_id == lot_id, TaskType.code == task_type)
        )
        is None
    ):
        errors["task_type"] = N_("This task type is not one of the lot's task types.")
    return lot_id, task_type


def _require_acceded(member_id: int, lot_id: int | None) -> None:
    if lot_id is not None and lot_id not in approved_lot_ids(member_id):
        raise Conflict(
            N_("Your authority has not acceded to this lot."),
            fields={"lot_id": N_("Request accession to this lot first.")},
        )


# --- service plans ----------------------------------------------------------------------------

PLAN_FIELDS = ("lot_id", "task_type", "asset_kind", "interval_months", "season_months", "active")
# A plan's fields load through ServicePlanSchema (one instance); the service checks the rules.
PLAN_INPUT = ServicePlanSchema(only=PLAN_FIELDS)
CHOOSE_LOT = N_("Choose a lot.")


def _clean_plan(
    values: dict[str, Any], current: ServicePlan | None, member_id: int
) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    if current is not None:
        merged = {f: getattr(current, f) for f in PLAN_FIELDS}
        merged["season_months"] = current.season_month_list
    merged.update({k: v for k, v in values.items() if k in PLAN_FIELDS})
    loaded, errors = load(PLAN_INPUT, merged)
    lot_id, task_type = _check_lot_and_task_type(
        member_id, loaded.get("lot_id"), loaded.get("task_type"), errors
    )
    kind = loaded.get("asset_kind")
    if (
        kind is not None
        and db.session.scalar(select(AssetKind.id).where(AssetKind.code == kind)) is None
    ):
        errors["asset_kind"] = N_("Unknown kind of asset.")
    cleaned = {
        "lot_id": lot_id,
        "task_type": task_type,
        "asset_kind": kind,
        "interval_months": loaded.get("interval_months"),
        "season_months": months_to_mask(loaded.get("season_month_list")),
        "active": loaded.get("active", True),
    }
    # A second active plan for the same work is said together with the other errors (§7.6).
    twice = N_("An active plan for this lot, task type and kind exists already; change that one.")
    duplicate = (
        cleaned["active"]
        and not {"lot_id", "task_type", "asset_kind"} & errors.keys()
        and _active_plan_exists(member_id, lot_id, task_type, kind, current)
    )
    if errors:
        if duplicate:
            errors["task_type"] = twice
        raise ValidationError(next(iter(errors.values())), fields=errors)
    _require_acceded(member_id, lot_id)
    if duplicate:
        raise Conflict(twice, fields={"task_type": twice})
    return cleaned


def _active_plan_exists(
    member_id: int, lot_id: int, task_type: str, kind: str | None, current: ServicePlan | None
) -> bool:
    stmt = select(ServicePlan.id).where(
        ServicePlan.member_id == member_id,
        ServicePlan.lot_id == lot_id,
        ServicePlan.task_type == task_type,
        ServicePlan.active.is_(True),
        ServicePlan.asset_kind.is_(None) if kind is None else ServicePlan.asset_kind == kind,
    )
    if current is not None:
        stmt = stmt.where(ServicePlan.id != current.id)
    return db.session.scalar(stmt) is not None


def create_service_plan(member_id: int, values: dict[str, Any], *, actor: Any) -> ServicePlan:
    """Subscribe a member's assets (of a kind, or all) to recurring work in an acceded lot."""
    _require_member_active(member_id)
    plan = ServicePlan(member_id=member_id, **_clean_plan(values, None, member_id))
    db.session.add(plan)
    db.session.flush()
    audit.record(
        "service_plan.created", plan, actor=actor, lot_id=plan.lot_id, task_type=plan.task_type
    )
    return plan


def update_service_plan(plan: ServicePlan, values: dict[str, Any], *, actor: Any) -> ServicePlan:
    """Change a plan (interval, season, kind, task type) or pause it (`active: false`)."""
    cleaned = _clean_plan(values, plan, plan.member_id)
    changed = sorted(k for k, v in cleaned.items() if getattr(plan, k) != v)
    for key, value in cleaned.items():
        setattr(plan, key, value)
    db.session.flush()
    if changed:
        audit.record("service_plan.updated", plan, actor=actor, fields=changed)
    return plan


# --- needs ------------------------------------------------------------------------------------

NEED_FIELDS = (
    "lot_id",
    "asset_id",
    "lat",
    "lon",
    "address",
    "task_type",
    "description",
    "priority",
    "quantity",
)


# A need's fields load through NeedSchema (one instance); its asset is read as a rule.
NEED_INPUT = NeedSchema(only=tuple(f for f in NEED_FIELDS if f != "asset_id"))
PLACE_FIELDS = ("lat", "lon", "address")


def _clean_need(values: dict[str, Any], current: Need | None, member_id: int) -> dict[str, Any]:
    merged = {f: getattr(current, f) for f in NEED_FIELDS} if current else {}
    merged.update({k: v for k, v in values.items() if k in NEED_FIELDS})
    loaded, errors = load(NEED_INPUT, merged)
    cleaned = {f: loaded.get(f) for f in NEED_FIELDS if f != "asset_id"}
    asset_id = merged.get("asset_id")
    if asset_id not in (None, ""):
        # Only the member's own assets: another member's asset is absent (404).
        asset = db.session.scalar(
            select(Asset).where(Asset.id == asset_id, Asset.member_id == member_id)
        )
        if asset is None:
            raise NotFound(N_("Asset not found."), fields={"asset_id": N_("No such asset.")})
        if not asset.is_active:
            raise Conflict(
                N_("The asset is retired."), fields={"asset_id": N_("The asset is retired.")}
            )
        # On an asset, a place is not asked for: what was given for one is left out.
        for name in PLACE_FIELDS:
            errors.pop(name, None)
        cleaned.update(asset_id=asset.id, lat=None, lon=None, address=None)
    else:
        cleaned["asset_id"] = None
        lat, lon = cleaned["lat"], cleaned["lon"]
        if lat is None or lon is None:
            if "lat" not in errors and "lon" not in errors:
                errors["lat"] = PLACE
        elif not importer.in_belgium(lat, lon):
            errors["lat"] = N_("The place is outside Belgium.")
        elif not place_in_member_area(member_id, lat, lon):
            errors["lat"] = N_(
                "The place lies outside your municipality: more than 2 km from all of "
                "your assets. Check the position on the map."
            )
        if not cleaned["address"] and "address" not in errors:
            errors["address"] = N_("Give the address of the place.")
    lot_id, task_type = _check_lot_and_task_type(
        member_id, cleaned["lot_id"], cleaned["task_type"], errors
    )
    cleaned["lot_id"], cleaned["task_type"] = lot_id, task_type
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    _require_acceded(member_id, lot_id)
    return cleaned


NEED_AREA_MARGIN_KM = 2.0


def place_in_member_area(member_id: int, lat: float, lon: float) -> bool:
    """A need on a place lies within the member's own area: the box around its active assets,
    widened by NEED_AREA_MARGIN_KM (a new street at the edge is fine; another municipality is
    not). A member with too few assets to tell is not held to it."""
    area = member_area(member_id)
    if area is None:
        return True
    km_per_degree = 111.0  # of latitude; of longitude, times the cosine of the latitude
    margin_lat = NEED_AREA_MARGIN_KM / km_per_degree
    middle = math.radians((area.south + area.north) / 2)
    margin_lon = NEED_AREA_MARGIN_KM / (km_per_degree * math.cos(middle))
    return (
        area.south - margin_lat <= lat <= area.north + margin_lat
        and area.west - margin_lon <= lon <= area.east + margin_lon
    )


def create_need(member_id: int, values: dict[str, Any], *, actor: Any) -> Need:
    """Log a member's need: on one of its own active assets, or on a place with an address."""
    _require_member_active(member_id)
    need = Need(
        member_id=member_id,
        source=NeedSource.MEMBER,
        status=NeedStatus.OPEN,
        created_by_id=getattr(actor, "id", None),
        **_clean_need(values, None, member_id),
    )
    db.session.add(need)
    db.session.flush()
    audit.record("need.created", need, actor=actor, priority=need.priority)
    return need


def update_need(need: Need, values: dict[str, Any], *, actor: Any) -> Need:
    """Change an open need (triage: lot, task type, priority, description) or cancel it
    (`status: cancelled`). Planned and closed needs follow their task."""
    status = values.get("status")
    if status is not None and status not in (NeedStatus.OPEN, NeedStatus.CANCELLED):
        raise ValidationError(
            N_("A need can only be cancelled here; planning sets the other statuses."),
            fields={"status": N_("Only cancelled.")},
        )
    if need.status != NeedStatus.OPEN:
        raise Conflict(N_("Only an open need can change."))
    cleaned = _clean_need(values, need, need.member_id)
    changed = sorted(k for k, v in cleaned.items() if getattr(need, k) != v)
    for key, value in cleaned.items():
        setattr(need, key, value)
    if status == NeedStatus.CANCELLED:
        need.status = NeedStatus.CANCELLED
        changed.append("status")
    db.session.flush()
    if changed:
        audit.record("need.updated", need, actor=actor, fields=changed, status=need.status)
    return need


def create_defect_need(
    member_id: int,
    *,
    asset_id: int | None,
    task_id: int,
    description: str,
    lot_id: int | None = None,
    task_type: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    address: str | None = None,
    actor: Any = None,
) -> Need:
    """A follow-up need raised by a task's defect or failed checklist item (rule 14), for the
    planning and fieldwork domains: with the follow-up task type where one is configured,
    otherwise without one, for the member to triage. It is on the task's asset, or (for work on
    a need's place) on that place."""
    need = Need(
        member_id=member_id,
        asset_id=asset_id,
        lat=lat if asset_id is None else None,
        lon=lon if asset_id is None else None,
        address=address if asset_id is None else None,
        task_id=task_id,
        lot_id=lot_id,
        task_type=task_type,
        description=description,
        source=NeedSource.DEFECT,
        status=NeedStatus.OPEN,
        priority=NeedPriority.NORMAL,
    )
    db.session.add(need)
    db.session.flush()
    audit.record("need.created", need, actor=actor, source="defect", task_id=task_id)
    return need
