"""Asset kinds, a member's assets, its service plans (recurring work) and needs (ad-hoc work)."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from central.core.types import UTCDateTime, enum_check, enum_column_type, utcnow
from central.extensions import db

# Season months are stored as a 12-bit mask (bit 0 = January ... bit 11 = December): one
# integer column that a CHECK can bound and that the planner tests with `&` in SQL on SQLite and
# PostgreSQL alike, without JSON functions that differ between the two. The API shows a list.
ALL_MONTHS_MASK = (1 << 12) - 1


def months_to_mask(months: list[int] | None) -> int | None:
    """[3, 4, 5] -> the mask of March to May; None or every month -> None (all year)."""
    if not months:
        return None
    mask = 0
    for month in months:
        mask |= 1 << (int(month) - 1)
    return None if mask == ALL_MONTHS_MASK else mask


def mask_to_months(mask: int | None) -> list[int] | None:
    if mask is None:
        return None
    return [month for month in range(1, 13) if mask & (1 << (month - 1))]


class AssetStatus(enum.StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


class NeedPriority(enum.StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


class NeedStatus(enum.StrEnum):
    OPEN = "open"
    PLANNED = "planned"
    DONE = "done"
    CANCELLED = "cancelled"


class NeedSource(enum.StrEnum):
    MEMBER = "member"
    DEFECT = "defect"
    PUBLIC = "public"  # reported by anyone through the asset's public link (SPEC 7.4)


class ServiceAvailability(enum.StrEnum):
    """Whether an asset (a hydrant) can serve the fire brigade (SPEC 7.4)."""

    IN_SERVICE = "in_service"
    OUT_OF_SERVICE = "out_of_service"
    UNKNOWN = "unknown"


class StatusChangeReason(enum.StrEnum):
    """Why an asset's service status changed: a task's result, a repair, a public report the
    member triaged, or the member's own word."""

    TASK = "task"
    REPAIR = "repair"
    PUBLIC_REPORT = "public_report"
    MEMBER = "member"


def new_public_token() -> str:
    """An unguessable token for an asset's public report link: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


class AssetKind(db.Model):
    """A kind of asset (data, not code): underground hydrant, pillar hydrant, hedge, sign ..."""

    __tablename__ = "asset_kinds"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Files and the API name a kind by its code (or, in imports, by its Dutch name).
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name_nl: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    # The authority whose coordinators made the kind and may rename it; None: a shared kind
    # (the seeded hydrant kinds, the admin's), which only the admin renames. (No ON DELETE: an
    # owner is never deleted, and SQLite adds the column only with a plain reference.)
    owner_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_nl


# An asset's limits, declared once: the columns, the import, the API schema and the form use
# these. Texts at most this long; a diameter in mm and a measure (a length or an area) below.
ASSET_TEXT_LENGTHS = {
    "code": 64,
    "street": 200,
    "house_number": 20,
    "postcode": 4,
    "municipality": 100,
    "water_company": 200,
    "notes": 2000,
}
# An asset's fields as a member gives them (form, API, import), in the order the export writes them.
ASSET_FIELDS = (
    "code",
    "kind",
    "street",
    "house_number",
    "postcode",
    "municipality",
    "lat",
    "lon",
    "water_company",
    "diameter_mm",
    "measure",
    "notes",
)
MAX_DIAMETER_MM = 2000
# A service plan's work comes back at most every ten years.
MAX_INTERVAL_MONTHS = 120
# A need's texts: what is needed, and the address of a place without an asset.
NEED_DESCRIPTION_LENGTH = 2000
NEED_ADDRESS_LENGTH = 300
# A passer-by's report on a hydrant, and the note of a change of its service status.
PUBLIC_REPORT_LENGTH = 2000
STATUS_NOTE_LENGTH = 2000
MAX_MEASURE = Decimal("10000000")


class Asset(db.Model):
    """One asset of a member authority (rule 9: it belongs to one authority, its code is unique
    there). Retired assets stay for their history and are never planned again."""

    __tablename__ = "assets"
    __table_args__ = (
        # Rule 9: a code names one asset within its member authority; imports upsert by it.
        UniqueConstraint("member_id", "code", name="uq_assets_member_code"),
        enum_check("status", AssetStatus, "status_allowed"),
        # A point on Earth (imports and forms also keep it inside Belgium).
        CheckConstraint(
            "lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="lat_lon_range"
        ),
        # A pipe diameter, where known, is positive.
        CheckConstraint("diameter_mm IS NULL OR diameter_mm > 0", name="diameter_positive"),
        # A measure (length in m, area in m², ...), where known, is positive.
        CheckConstraint("measure IS NULL OR measure > 0", name="measure_positive"),
        # A retired asset says since when; an active one has no retirement date.
        CheckConstraint(
            "(status = 'retired') = (retired_at IS NOT NULL)", name="retired_has_retired_at"
        ),
        enum_check("service_status", ServiceAvailability, "service_status_allowed"),
        # One asset per public token: /r/<token> names exactly one.
        Index("uq_assets_public_token", "public_token", unique=True),
        # The out-of-service list of a member (and of its fire zone and water company).
        Index("ix_assets_member_service_status", "member_id", "service_status"),
        # The member's list filters on status, municipality and street, and on kind.
        Index("ix_assets_member_status", "member_id", "status"),
        Index("ix_assets_member_municipality_street", "member_id", "municipality", "street"),
        Index("ix_assets_member_kind", "member_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    code: Mapped[str] = mapped_column(String(ASSET_TEXT_LENGTHS["code"]))
    kind: Mapped[str] = mapped_column(
        ForeignKey("asset_kinds.code", ondelete="RESTRICT", onupdate="CASCADE")
    )
    street: Mapped[str] = mapped_column(String(ASSET_TEXT_LENGTHS["street"]))
    house_number: Mapped[str | None] = mapped_column(String(ASSET_TEXT_LENGTHS["house_number"]))
    postcode: Mapped[str | None] = mapped_column(String(ASSET_TEXT_LENGTHS["postcode"]))
    municipality: Mapped[str] = mapped_column(String(ASSET_TEXT_LENGTHS["municipality"]))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    water_company: Mapped[str | None] = mapped_column(String(ASSET_TEXT_LENGTHS["water_company"]))
    diameter_mm: Mapped[int | None] = mapped_column(Integer)
    # The asset's size in the unit its services are priced in (a hedge's length in m, a lawn's
    # area in m²): the quantity of a task priced per m or m² (rule 5). NULL: not known.
    measure: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(
        enum_column_type(AssetStatus), default=AssetStatus.ACTIVE, server_default="active"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # SPEC 7.4: whether it can serve the fire brigade; every change is an AssetStatusChange.
    # Unknown until a result or the member says (assets that existed before were never told).
    service_status: Mapped[str] = mapped_column(
        enum_column_type(ServiceAvailability),
        default=ServiceAvailability.UNKNOWN,
        server_default="unknown",
    )
    # The secret of the public report link /r/<token>; never the id, rotated by the member.
    public_token: Mapped[str] = mapped_column(String(64), default=new_public_token)

    asset_kind: Mapped[AssetKind] = relationship(
        primaryjoin="Asset.kind == AssetKind.code", foreign_keys=[kind], viewonly=True
    )

    @property
    def address(self) -> str:
        street = " ".join(p for p in (self.street, self.house_number) if p)
        town = " ".join(p for p in (self.postcode, self.municipality) if p)
        return ", ".join(p for p in (street, town) if p)

    @property
    def is_active(self) -> bool:
        return self.status == AssetStatus.ACTIVE

    @property
    def is_out_of_service(self) -> bool:
        return self.service_status == ServiceAvailability.OUT_OF_SERVICE

    def __repr__(self) -> str:
        return f"<Asset {self.id} {self.code!r}>"


class AssetStatusChange(db.Model):
    """One change of an asset's service status (SPEC 7.4): who, when and why; never updated."""

    __tablename__ = "asset_status_changes"
    __table_args__ = (
        enum_check("from_status", ServiceAvailability, "from_status_allowed"),
        enum_check("to_status", ServiceAvailability, "to_status_allowed"),
        enum_check("reason", StatusChangeReason, "reason_allowed"),
        # A change is a change.
        CheckConstraint("from_status <> to_status", name="status_changes"),
        # A change by a task's result names the task.
        CheckConstraint("reason <> 'task' OR task_id IS NOT NULL", name="task_change_has_task"),
        # The asset's history, newest first.
        Index("ix_asset_status_changes_asset_changed", "asset_id", "changed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="RESTRICT"))
    from_status: Mapped[str] = mapped_column(enum_column_type(ServiceAvailability))
    to_status: Mapped[str] = mapped_column(enum_column_type(ServiceAvailability))
    reason: Mapped[str] = mapped_column(enum_column_type(StatusChangeReason))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))
    need_id: Mapped[int | None] = mapped_column(ForeignKey("needs.id", ondelete="SET NULL"))
    # NULL: the system (a job, the CLI without a user).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor = relationship("User")


class ServicePlan(db.Model):
    """A member's subscription of an asset class to recurring work (rule 10): every asset of the
    member (of `asset_kind`, or of every kind) gets the lot's `task_type` every
    `interval_months`, in the season months if any are set."""

    __tablename__ = "service_plans"
    __table_args__ = (
        # The task type is one of the lot's task types (its catalogue), by code.
        ForeignKeyConstraint(
            ["lot_id", "task_type"],
            ["task_types.lot_id", "task_types.code"],
            name="fk_service_plans_lot_task_type",
            ondelete="RESTRICT",
            onupdate="CASCADE",
        ),
        # An interval is a positive number of months (at most ten years).
        CheckConstraint("interval_months BETWEEN 1 AND 120", name="interval_months_range"),
        # Season months are a non-empty 12-bit mask of months, or NULL for all year.
        CheckConstraint(
            f"season_months IS NULL OR season_months BETWEEN 1 AND {ALL_MONTHS_MASK}",
            name="season_months_mask",
        ),
        # One active plan per member, lot, task type and asset kind: no double subscriptions.
        Index(
            "uq_service_plans_active",
            "member_id",
            "lot_id",
            "task_type",
            text("coalesce(asset_kind, '')"),
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
        Index("ix_service_plans_lot_id", "lot_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id", ondelete="RESTRICT"))
    # A task-type code: dueness follows the code across frameworks (rule 10).
    task_type: Mapped[str] = mapped_column(String(50))
    # NULL: assets of every kind.
    asset_kind: Mapped[str | None] = mapped_column(
        ForeignKey("asset_kinds.code", ondelete="RESTRICT", onupdate="CASCADE")
    )
    interval_months: Mapped[int] = mapped_column(Integer)
    season_months: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    lot = relationship("Lot")

    @property
    def season_month_list(self) -> list[int] | None:
        return mask_to_months(self.season_months)


class Need(db.Model):
    """An ad-hoc request (melding): on an asset, or on a place with an address. Logged by the
    member, or raised by a task's defect (`task_id`); planned into a round by the planner."""

    __tablename__ = "needs"
    __table_args__ = (
        enum_check("priority", NeedPriority, "priority_allowed"),
        enum_check("status", NeedStatus, "status_allowed"),
        enum_check("source", NeedSource, "source_allowed"),
        # A need is on an asset (its place is the asset's) or on a place: a point, never both.
        CheckConstraint(
            "(asset_id IS NOT NULL AND lat IS NULL AND lon IS NULL) OR "
            "(asset_id IS NULL AND lat IS NOT NULL AND lon IS NOT NULL)",
            name="on_asset_or_place",
        ),
        CheckConstraint(
            "lat IS NULL OR (lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180)",
            name="lat_lon_range",
        ),
        # A task type is a code within a lot: no task type without its lot.
        CheckConstraint("task_type IS NULL OR lot_id IS NOT NULL", name="task_type_has_lot"),
        # A need raised by a defect names the task that found it.
        CheckConstraint("source <> 'defect' OR task_id IS NOT NULL", name="defect_has_task"),
        # A quantity, where given, is positive.
        CheckConstraint("quantity IS NULL OR quantity > 0", name="quantity_positive"),
        ForeignKeyConstraint(
            ["lot_id", "task_type"],
            ["task_types.lot_id", "task_types.code"],
            name="fk_needs_lot_task_type",
            ondelete="RESTRICT",
            onupdate="CASCADE",
        ),
        # The member's list, and the planner's open needs per lot.
        Index("ix_needs_member_status", "member_id", "status"),
        Index("ix_needs_lot_status", "lot_id", "status"),
        Index("ix_needs_asset_id", "asset_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id", ondelete="RESTRICT"))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id", ondelete="RESTRICT"))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(NEED_ADDRESS_LENGTH))
    task_type: Mapped[str | None] = mapped_column(String(50))
    description: Mapped[str] = mapped_column(Text)
    # The quantity of the task, in its price's unit (rule 5); NULL: the asset's measure for work
    # priced per m or m², else 1.
    quantity: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    priority: Mapped[str] = mapped_column(
        enum_column_type(NeedPriority), default=NeedPriority.NORMAL
    )
    status: Mapped[str] = mapped_column(enum_column_type(NeedStatus), default=NeedStatus.OPEN)
    source: Mapped[str] = mapped_column(enum_column_type(NeedSource), default=NeedSource.MEMBER)
    # The task whose result raised the need (its table comes later: migration 0005).
    task_id: Mapped[int | None] = mapped_column(
        ForeignKey("tasks.id", ondelete="SET NULL", use_alter=True), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # A public report's optional contact address, for the member only (never shown publicly).
    reporter_email: Mapped[str | None] = mapped_column(String(254))
    # A public report's photo: a file in the file store, checked and stripped as crews' are.
    photo_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    asset: Mapped[Asset | None] = relationship()
    lot = relationship("Lot")

    @property
    def place(self) -> str:
        if self.asset is not None:
            return f"{self.asset.code} · {self.asset.address}"
        return self.address or f"{self.lat:.5f}, {self.lon:.5f}"

    @property
    def point(self) -> tuple[float, float] | None:
        if self.asset is not None:
            return self.asset.lat, self.asset.lon
        if self.lat is None or self.lon is None:
            return None
        return self.lat, self.lon
