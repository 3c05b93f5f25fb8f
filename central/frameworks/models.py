"""Frameworks (raamovereenkomsten), their lots, task types, price schedules, awards, named
beneficiaries, accessions and the coordinator's threshold alerts."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from central.core.errors import N_
from central.core.types import UTCDateTime, enum_check, enum_column_type, utcnow
from central.extensions import db
from central.organisations.models import Organisation
from central.organisations.queries import register_identity_use

# Art. 43 § 1 of the Act of 17 June 2016: a framework runs at most four years.
MAX_TERM_YEARS = 4
# Lengths of the text columns, declared once: the columns, the input schemas and the forms'
# maxlength use these.
REFERENCE_LENGTH = 50
TITLE_LENGTH = 200
CODE_LENGTH = 50
ORDER_REFERENCE_LENGTH = 100
# SPEC 7.2: the procedure on record lists at most this many CPV codes and notices.
MAX_CPV_CODES = 20
MAX_NOTICES = 10
MAX_LOT_NUMBER = 999
MAX_TASKS_PER_ROUND = 500  # one crew-day
MINUTES_A_DAY = 1440  # a crew-day or a task's service time is at most a day (§7.5)
MAX_TRAVEL_KMH = 200
# A task type's checklist (SPEC 7.4): at most this many items, keys and labels this long.
MAX_CHECKLIST_ITEMS = 50
CHECKLIST_KEY_LENGTH = 40
CHECKLIST_LABEL_LENGTH = 200
MAX_RANK = 99  # of an award in its lot
MAX_WEEKLY_CAPACITY = 100000  # tasks a week


def add_years(day: date, years: int) -> date:
    """`day` moved by whole years; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class FrameworkStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    EXHAUSTED = "exhausted"
    EXPIRED = "expired"
    TERMINATED = "terminated"


class PriceUnit(enum.StrEnum):
    PIECE = "piece"
    METRE = "m"
    SQUARE_METRE = "m2"
    HOUR = "hour"


class AccessionStatus(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


# Accessions that cover their lots: a second request for one of those lots conflicts (rule 3).
COVERING_ACCESSION_STATUSES = frozenset({AccessionStatus.REQUESTED, AccessionStatus.APPROVED})


class ChangeKind(enum.StrEnum):
    """The grounds on which an awarded framework may change during its term (KB Algemene
    Uitvoeringsregels of 14 January 2013, art. 38 and following)."""

    REVIEW_CLAUSE = "review_clause"  # art. 38: within the framework's own revision clause
    PROVIDER_SUBSTITUTION = "provider_substitution"  # art. 38/3: a new provider in its place
    ADDITIONAL_SERVICES = "additional_services"  # art. 38/1: at most 50 % of the initial value
    UNFORESEEN = "unforeseen"  # art. 38/2: at most 50 % of the initial value
    DE_MINIMIS = "de_minimis"  # art. 38/4: below the EU threshold and 10 % of the initial value


class ProcedureKind(enum.StrEnum):
    """How the framework was procured (Act of 17 June 2016 on public procurement, art. 35-42)."""

    OPEN = "open"  # openbare procedure, art. 36
    RESTRICTED = "restricted"  # niet-openbare procedure, art. 37
    COMPETITIVE_NEGOTIATION = "competitive_negotiation"  # mededingingsprocedure, art. 38
    NEGOTIATED_WITH_PUBLICATION = "negotiated_with_publication"  # art. 41
    NEGOTIATED_WITHOUT_PUBLICATION = "negotiated_without_publication"  # art. 42


# The procedures that start with a published contract notice (at EU level above the threshold).
PUBLISHED_PROCEDURES = frozenset(ProcedureKind) - {ProcedureKind.NEGOTIATED_WITHOUT_PUBLICATION}


class ChecklistKind(enum.StrEnum):
    PASS_FAIL = "pass_fail"  # noqa: S105 - a checklist kind, not a secret
    READING = "reading"


class Framework(db.Model):
    """A framework agreement concluded by a lead authority on behalf of named beneficiaries."""

    __tablename__ = "frameworks"
    __table_args__ = (
        enum_check("status", FrameworkStatus, "status_allowed"),
        # A term has a positive length.
        CheckConstraint("end_date > start_date", name="end_after_start"),
        # Rule 1 (art. 43 § 1): at most four years unless an exceptional case is justified.
        # `max_end_date` is start + 4 years, kept by the model (see `_keep_max_end_date`), so
        # that the check compares two date columns, which SQLite and PostgreSQL both do alike.
        CheckConstraint(
            "term_justification IS NOT NULL OR end_date <= max_end_date",
            name="term_within_four_years_unless_justified",
        ),
        # The stored bound is exactly the start moved by four years, never later.
        CheckConstraint("max_end_date > start_date", name="max_end_after_start"),
        # Rule 2 (CJEU C-23/20): a framework states a positive maximum ...
        CheckConstraint("max_value > 0", name="max_value_positive"),
        # ... and an estimate that does not exceed it.
        CheckConstraint(
            "estimated_value >= 0 AND estimated_value <= max_value",
            name="estimated_value_within_max",
        ),
        # A share of the spend, in percent.
        CheckConstraint(
            "social_target_percent >= 0 AND social_target_percent <= 100",
            name="social_target_percent_range",
        ),
        # A terminated framework records why.
        CheckConstraint(
            "status <> 'terminated' OR termination_reason IS NOT NULL",
            name="terminated_has_reason",
        ),
        # SPEC 7.2: the procedure on record is one of the law's.
        CheckConstraint(
            "procedure IS NULL OR procedure IN ("
            + ", ".join(f"'{kind.value}'" for kind in ProcedureKind)
            + ")",
            name="procedure_allowed",
        ),
        # The standstill runs from the award decision.
        CheckConstraint(
            "standstill_end IS NULL OR award_decision_date IS NULL "
            "OR standstill_end >= award_decision_date",
            name="standstill_after_award_decision",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The public procurement reference, e.g. RSL-2025-BK-01; one framework per reference.
    reference: Mapped[str] = mapped_column(String(REFERENCE_LENGTH), unique=True)
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    lead_organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    # Art. 15: a reserved framework is awarded only to recognised social-economy providers.
    reserved: Mapped[bool] = mapped_column(default=False)
    start_date: Mapped[date]
    end_date: Mapped[date]
    max_end_date: Mapped[date]
    term_justification: Mapped[str | None] = mapped_column(Text)
    estimated_value: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    max_value: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    social_target_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))
    status: Mapped[str] = mapped_column(
        enum_column_type(FrameworkStatus), default=FrameworkStatus.DRAFT, index=True
    )
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    terminated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    termination_reason: Mapped[str | None] = mapped_column(Text)
    # SPEC 7.2: the maximum as awarded, frozen at activation: the base of every change's limit.
    initial_max_value: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    # The price revision clause of the procurement documents (e.g. an index formula): a
    # `review_clause` change applies it, nothing else.
    revision_clause: Mapped[str | None] = mapped_column(Text)
    # SPEC 7.2, the procedure on record: how it was procured, its CPV 2008 codes (the first is
    # the main object), the notices that published it, the award decision and the standstill's
    # last day. All are needed to activate; a running framework may only complete them.
    procedure: Mapped[str | None] = mapped_column(String(30))
    cpv_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    notice_references: Mapped[list[str]] = mapped_column(JSON, default=list)
    award_decision_date: Mapped[date | None]
    standstill_end: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lead_organisation: Mapped[Organisation] = relationship()
    lots: Mapped[list[Lot]] = relationship(
        back_populates="framework", order_by="Lot.number", cascade="all, delete-orphan"
    )
    # Written through FrameworkBeneficiary rows by the service; read here.
    beneficiaries: Mapped[list[Organisation]] = relationship(
        secondary="framework_beneficiaries", order_by="Organisation.name", viewonly=True
    )

    @property
    def is_draft(self) -> bool:
        return self.status == FrameworkStatus.DRAFT

    @property
    def is_running(self) -> bool:
        """Active or exhausted: concluded and not yet ended."""
        return self.status in (FrameworkStatus.ACTIVE, FrameworkStatus.EXHAUSTED)

    def __repr__(self) -> str:
        return f"<Framework {self.id} {self.reference!r} {self.status}>"


@event.listens_for(Framework, "before_insert")
@event.listens_for(Framework, "before_update")
def _keep_max_end_date(_mapper: Any, _connection: Any, framework: Framework) -> None:
    """The four-year bound follows the start date, whoever writes the row."""
    if framework.start_date is not None:
        framework.max_end_date = add_years(framework.start_date, MAX_TERM_YEARS)


class FrameworkBeneficiary(db.Model):
    """An authority named in the framework as eligible to accede (CJEU C-216/17, Coopservice)."""

    __tablename__ = "framework_beneficiaries"

    framework_id: Mapped[int] = mapped_column(
        ForeignKey("frameworks.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Lot(db.Model):
    """A lot (perceel) of a framework: one service type, its own awards and optional maximum."""

    __tablename__ = "lots"
    __table_args__ = (
        # Lots are numbered within their framework.
        UniqueConstraint("framework_id", "number", name="uq_lots_framework_number"),
        CheckConstraint("number >= 1", name="number_positive"),
        # Rule 2: a lot's own maximum, where it has one, is positive.
        CheckConstraint("max_value IS NULL OR max_value > 0", name="max_value_positive"),
        # A round is one crew-day: at least one task, at most a sane number.
        CheckConstraint(
            "max_tasks_per_round >= 1 AND max_tasks_per_round <= 500",
            name="max_tasks_per_round_range",
        ),
        CheckConstraint("planning_horizon_days >= 1", name="planning_horizon_positive"),
        CheckConstraint("urgent_days >= 0", name="urgent_days_not_negative"),
        # A crew-day is some minutes and at most a day (§7.5); a crew moves at some speed.
        CheckConstraint(
            "crew_day_minutes >= 1 AND crew_day_minutes <= 1440", name="crew_day_minutes_range"
        ),
        CheckConstraint("travel_kmh >= 1 AND travel_kmh <= 200", name="travel_kmh_range"),
        # SPEC 7.3: a social clause is a kind with a positive target, or none at all.
        CheckConstraint(
            "(social_clause_kind IS NULL AND social_clause_target IS NULL) OR "
            "(social_clause_kind IN ('subcontracting_share', 'target_group_hours') "
            "AND social_clause_target > 0)",
            name="social_clause_complete",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(
        ForeignKey("frameworks.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    # Service types are data (hydrant_maintenance, green_maintenance, ...), not code.
    service_type: Mapped[str] = mapped_column(String(50))
    reserved: Mapped[bool] = mapped_column(default=False)
    max_value: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    max_tasks_per_round: Mapped[int] = mapped_column(default=25)
    planning_horizon_days: Mapped[int] = mapped_column(default=28)
    urgent_days: Mapped[int] = mapped_column(default=7)
    # Rounds are sized to fit one crew-day: service plus travel time (§7.5).
    crew_day_minutes: Mapped[int] = mapped_column(default=450)
    travel_kmh: Mapped[int] = mapped_column(default=30)
    # SPEC 7.3 (Ghent): `subcontracting_share` — the percent of the lot's accepted value done
    # through social-economy subcontractors; `target_group_hours` — target-group hours per
    # EUR 10,000 of accepted value.
    social_clause_kind: Mapped[str | None] = mapped_column(String(30))
    social_clause_target: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    framework: Mapped[Framework] = relationship(back_populates="lots")
    task_types: Mapped[list[TaskType]] = relationship(
        back_populates="lot",
        order_by="TaskType.code",
        cascade="all, delete-orphan",
        foreign_keys="TaskType.lot_id",
    )
    awards: Mapped[list[Award]] = relationship(
        back_populates="lot", order_by="Award.rank", cascade="all, delete-orphan"
    )

    def task_type_name(self, code: str | None) -> str:
        """A task type of this lot by its name (pages show names, not codes); an unknown code
        as it is."""
        for task_type in self.task_types:
            if task_type.code == code:
                return task_type.name
        return code or ""

    @property
    def social_clause(self) -> dict[str, Any] | None:
        """The lot's social clause as the API gives it (SPEC 7.3), or None."""
        if self.social_clause_kind is None:
            return None
        return {"kind": self.social_clause_kind, "target": self.social_clause_target}

    @property
    def is_reserved(self) -> bool:
        """Reserved itself or through its framework (art. 15)."""
        return bool(self.reserved or self.framework.reserved)

    def __repr__(self) -> str:
        return f"<Lot {self.id} {self.number} {self.title!r}>"


class TaskType(db.Model):
    """A kind of work in a lot (e.g. hydrant inspection), with its checklist and the follow-up
    task type that a defect calls for."""

    __tablename__ = "task_types"
    __table_args__ = (
        # A code names one task type per lot; dueness follows the code across frameworks.
        UniqueConstraint("lot_id", "code", name="uq_task_types_lot_code"),
        # Lets price lines state, by a composite key, that their task type is in their lot.
        UniqueConstraint("lot_id", "id", name="uq_task_types_lot_id_id"),
        # A task type is never its own follow-up.
        CheckConstraint(
            "follow_up_task_type_id IS NULL OR follow_up_task_type_id <> id",
            name="follow_up_not_self",
        ),
        # The time one task takes on site: some minutes, at most a day (§7.5).
        CheckConstraint(
            "service_minutes >= 1 AND service_minutes <= 1440", name="service_minutes_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(CODE_LENGTH))
    name: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    # [{"key", "label", "kind": "pass_fail"|"reading", "min", "max"}]; checked by the service.
    checklist: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    follow_up_task_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("task_types.id", ondelete="SET NULL"), index=True
    )
    service_minutes: Mapped[int] = mapped_column(default=15)
    # SPEC 7.2: the recorded change that added it to an active framework (None: tendered).
    # A change is never deleted while something names it (no action).
    change_id: Mapped[int | None] = mapped_column(ForeignKey("framework_changes.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lot: Mapped[Lot] = relationship(back_populates="task_types", foreign_keys=[lot_id])
    follow_up: Mapped[TaskType | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<TaskType {self.id} {self.code!r}>"


class PriceLine(db.Model):
    """A unit price (excl. VAT) of a task type in a lot, in force from `valid_from` (rule 5).
    Lines are never edited: a new line takes effect from its date, the past keeps its price.

    SPEC 7.2: a line naming `provider_id` is that awarded provider's tendered price and
    overrides the lot's common line (no `provider_id`) for the task type; each provider of a
    cascade is paid its own price."""

    __tablename__ = "price_lines"
    __table_args__ = (
        enum_check("unit", PriceUnit, "unit_allowed"),
        # The task type belongs to the line's lot.
        ForeignKeyConstraint(
            ["lot_id", "task_type_id"],
            ["task_types.lot_id", "task_types.id"],
            name="fk_price_lines_lot_task_type",
            ondelete="CASCADE",
        ),
        # A provider's own line belongs to a provider awarded the line's lot (and goes with
        # its award).
        ForeignKeyConstraint(
            ["lot_id", "provider_id"],
            ["awards.lot_id", "awards.provider_id"],
            name="fk_price_lines_lot_provider_award",
            ondelete="CASCADE",
        ),
        # One common price per task type and date, and one per provider, task type and date:
        # the price in force on a day is unambiguous.
        Index(
            "uq_price_lines_common_task_type_valid_from",
            "task_type_id",
            "valid_from",
            unique=True,
            sqlite_where=text("provider_id IS NULL"),
            postgresql_where=text("provider_id IS NULL"),
        ),
        Index(
            "uq_price_lines_provider_task_type_valid_from",
            "provider_id",
            "task_type_id",
            "valid_from",
            unique=True,
            sqlite_where=text("provider_id IS NOT NULL"),
            postgresql_where=text("provider_id IS NOT NULL"),
        ),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
        # A VAT rate is a percentage.
        CheckConstraint("vat_rate >= 0 AND vat_rate <= 100", name="vat_rate_range"),
        Index("ix_price_lines_lot_id", "lot_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id", ondelete="CASCADE"))
    task_type_id: Mapped[int] = mapped_column()
    # None: the lot's common line, for every provider without a line of its own.
    provider_id: Mapped[int | None] = mapped_column()
    unit: Mapped[str] = mapped_column(enum_column_type(PriceUnit), default=PriceUnit.PIECE)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("21.00"))
    valid_from: Mapped[date]
    # SPEC 7.2: a line as tendered (valid from the framework's start), or one that a recorded
    # change of the running framework brought in.
    as_tendered: Mapped[bool] = mapped_column(default=False)
    change_id: Mapped[int | None] = mapped_column(
        ForeignKey("framework_changes.id", ondelete="RESTRICT")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    task_type: Mapped[TaskType] = relationship(
        foreign_keys=[task_type_id],
        primaryjoin="PriceLine.task_type_id == TaskType.id",
        viewonly=True,
    )

    provider: Mapped[Organisation | None] = relationship(
        foreign_keys=[provider_id],
        primaryjoin="PriceLine.provider_id == Organisation.id",
        viewonly=True,
    )

    @property
    def task_type_code(self) -> str:
        return self.task_type.code


class Award(db.Model):
    """A provider awarded a lot, in rank order, with its weekly capacity in tasks (rule 13)."""

    __tablename__ = "awards"
    __table_args__ = (
        # A provider is awarded a lot once ...
        UniqueConstraint("lot_id", "provider_id", name="uq_awards_lot_provider"),
        # ... and ranks are a strict order (cascade awarding).
        UniqueConstraint("lot_id", "rank", name="uq_awards_lot_rank"),
        CheckConstraint("rank >= 1", name="rank_positive"),
        CheckConstraint("weekly_capacity >= 1", name="weekly_capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    rank: Mapped[int]
    weekly_capacity: Mapped[int]
    # SPEC 7.2: the provider's social-economy status on the award date, as it was; reports of
    # the work under this award read it (a later recognition or its end never rewrites them).
    social_economy_status: Mapped[str] = mapped_column(
        String(20), default="none", server_default="none"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lot: Mapped[Lot] = relationship(back_populates="awards")
    provider: Mapped[Organisation] = relationship()


class SocialClauseKind(enum.StrEnum):
    SUBCONTRACTING_SHARE = "subcontracting_share"
    TARGET_GROUP_HOURS = "target_group_hours"


# SPEC 7.3: the most a clause may ask: every euro through subcontractors, or target-group hours
# per EUR 10,000 of accepted value (a full-time year is about 1,600 hours).
MAX_CLAUSE_TARGET = {
    SocialClauseKind.SUBCONTRACTING_SHARE: Decimal("100"),
    SocialClauseKind.TARGET_GROUP_HOURS: Decimal("10000"),
}


class AwardSubcontractor(db.Model):
    """A social-economy subcontractor of an award (SPEC 7.3, Ghent): its crews (provider users of
    the subcontractor) see and record the tasks of its task types on the main contractor's
    rounds while the subcontracting runs; the main contractor invoices. The recognition status
    it had on the day it started is kept; ending it keeps the row (the past stays)."""

    __tablename__ = "award_subcontractors"
    __table_args__ = (
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="ended_after_start"),
        Index("ix_award_subcontractors_organisation", "organisation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    social_economy_status: Mapped[str] = mapped_column(String(20))
    started_on: Mapped[date]
    ended_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    award: Mapped[Award] = relationship()
    organisation: Mapped[Organisation] = relationship()
    task_types: Mapped[list[SubcontractedTaskType]] = relationship(
        back_populates="subcontractor", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:
        return self.ended_on is None


class SubcontractedTaskType(db.Model):
    """A task type an award's subcontractor does. While `active`, a task type of an award is
    done by at most one subcontractor (a partial unique index)."""

    __tablename__ = "subcontracted_task_types"
    __table_args__ = (
        Index(
            "uq_subcontracted_task_types_active",
            "award_id",
            "task_type_id",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
        Index("ix_subcontracted_task_types_task_type", "task_type_id", "active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subcontractor_id: Mapped[int] = mapped_column(
        ForeignKey("award_subcontractors.id", ondelete="CASCADE"), index=True
    )
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id", ondelete="CASCADE"))
    task_type_id: Mapped[int] = mapped_column(ForeignKey("task_types.id", ondelete="RESTRICT"))
    active: Mapped[bool] = mapped_column(default=True)

    subcontractor: Mapped[AwardSubcontractor] = relationship(back_populates="task_types")
    task_type: Mapped[TaskType] = relationship()


class Accession(db.Model):
    """A member's accession (toetreding) to lots of a framework, decided as a whole (rule 3)."""

    __tablename__ = "accessions"
    __table_args__ = (
        enum_check("status", AccessionStatus, "status_allowed"),
        # Lets accession lots repeat the member by a composite key (their partial unique index).
        UniqueConstraint("id", "member_id", name="uq_accessions_id_member"),
        # A rejection gives the member its reason.
        CheckConstraint("status <> 'rejected' OR reason IS NOT NULL", name="rejected_has_reason"),
        # A decided accession says when.
        CheckConstraint(
            "status = 'requested' OR decided_at IS NOT NULL", name="decided_has_decided_at"
        ),
        Index("ix_accessions_framework_member", "framework_id", "member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    # The member's order or budget key, printed on its statements.
    order_reference: Mapped[str] = mapped_column(String(ORDER_REFERENCE_LENGTH))
    status: Mapped[str] = mapped_column(
        enum_column_type(AccessionStatus), default=AccessionStatus.REQUESTED, index=True
    )
    reason: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Set when approved, rejected or withdrawn.
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    framework: Mapped[Framework] = relationship()
    member: Mapped[Organisation] = relationship()
    lot_links: Mapped[list[AccessionLot]] = relationship(
        back_populates="accession", cascade="all, delete-orphan", order_by="AccessionLot.lot_id"
    )
    lots: Mapped[list[Lot]] = relationship(
        secondary="accession_lots", viewonly=True, order_by="Lot.number"
    )

    @property
    def lot_ids(self) -> list[int]:
        return sorted(link.lot_id for link in self.lot_links)


class AccessionLot(db.Model):
    """A lot named in an accession. `covering` is true while the accession is requested or
    approved; a partial unique index then lets one member hold each lot only once (rule 3)."""

    __tablename__ = "accession_lots"
    __table_args__ = (
        # The member repeated here is the accession's own member.
        ForeignKeyConstraint(
            ["accession_id", "member_id"],
            ["accessions.id", "accessions.member_id"],
            name="fk_accession_lots_accession_member",
            ondelete="CASCADE",
        ),
        # Rule 3: a lot is covered by at most one pending or approved accession per member,
        # whatever runs at once.
        Index(
            "uq_accession_lots_member_lot_covering",
            "member_id",
            "lot_id",
            unique=True,
            sqlite_where=text("covering"),
            postgresql_where=text("covering"),
        ),
        Index("ix_accession_lots_lot_id", "lot_id"),
    )

    accession_id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    covering: Mapped[bool] = mapped_column(default=True)

    accession: Mapped[Accession] = relationship(back_populates="lot_links")
    lot: Mapped[Lot] = relationship()


class FrameworkChange(db.Model):
    """A change of an awarded framework during its term, on one of the legal grounds (SPEC
    7.2): the legal basis of a new price line, a new task type or a raised maximum. Never
    edited; `value` is its signed effect on the maximum, excl. VAT."""

    __tablename__ = "framework_changes"
    __table_args__ = (
        enum_check("kind", ChangeKind, "kind_allowed"),
        # A substitution names both providers and changes no value; no other kind names one.
        CheckConstraint(
            "(kind = 'provider_substitution') = (old_provider_id IS NOT NULL)",
            name="substitution_names_old_provider",
        ),
        CheckConstraint(
            "(kind = 'provider_substitution') = (new_provider_id IS NOT NULL)",
            name="substitution_names_new_provider",
        ),
        CheckConstraint(
            "kind <> 'provider_substitution' OR value = 0", name="substitution_has_no_value"
        ),
        # Art. 38/1 and 38/2: additional services and unforeseen circumstances are justified.
        CheckConstraint(
            "kind NOT IN ('additional_services', 'unforeseen') OR justification IS NOT NULL",
            name="justified_where_the_law_asks",
        ),
        Index("ix_framework_changes_framework_id", "framework_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id", ondelete="CASCADE"))
    # The lot it concerns (its maximum is raised too), or None for the framework as a whole.
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(enum_column_type(ChangeKind))
    description: Mapped[str] = mapped_column(Text)
    justification: Mapped[str | None] = mapped_column(Text)
    value: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    effective_from: Mapped[date]
    old_provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    new_provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    # The maximum before and after the change, as recorded.
    max_value_before: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    max_value_after: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    framework: Mapped[Framework] = relationship()
    lot: Mapped[Lot | None] = relationship()
    old_provider: Mapped[Organisation | None] = relationship(foreign_keys=[old_provider_id])
    new_provider: Mapped[Organisation | None] = relationship(foreign_keys=[new_provider_id])


class FrameworkAlert(db.Model):
    """A spend threshold (80, 90 or 100 % of the maximum) crossed by a framework or one of its
    lots (rule 2). One row per scope and threshold: raised once, cleared when room is freed, and
    raised again (and notified again) if crossed again."""

    __tablename__ = "framework_alerts"
    __table_args__ = (
        CheckConstraint("threshold IN (80, 90, 100)", name="threshold_allowed"),
        # One alert per framework-wide threshold ...
        Index(
            "uq_framework_alerts_framework_threshold",
            "framework_id",
            "threshold",
            unique=True,
            sqlite_where=text("lot_id IS NULL"),
            postgresql_where=text("lot_id IS NULL"),
        ),
        # ... and one per lot threshold.
        Index(
            "uq_framework_alerts_lot_threshold",
            "lot_id",
            "threshold",
            unique=True,
            sqlite_where=text("lot_id IS NOT NULL"),
            postgresql_where=text("lot_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(
        ForeignKey("frameworks.id", ondelete="CASCADE"), index=True
    )
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id", ondelete="CASCADE"))
    threshold: Mapped[int]
    committed_value: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    max_value: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    framework: Mapped[Framework] = relationship()
    lot: Mapped[Lot | None] = relationship()

    @property
    def active(self) -> bool:
        return self.cleared_at is None


__all__ = [
    "Accession",
    "AccessionLot",
    "AccessionStatus",
    "Award",
    "ChangeKind",
    "ChecklistKind",
    "Framework",
    "FrameworkAlert",
    "FrameworkChange",
    "FrameworkBeneficiary",
    "FrameworkStatus",
    "Lot",
    "PriceLine",
    "PriceUnit",
    "TaskType",
]


def _framework_uses_organisation(org_id: int) -> bool:
    """Named as beneficiary of, or acceded to, a concluded framework (not a draft)."""
    concluded = Framework.status != FrameworkStatus.DRAFT
    named = (
        select(FrameworkBeneficiary.organisation_id)
        .join(Framework, Framework.id == FrameworkBeneficiary.framework_id)
        .where(FrameworkBeneficiary.organisation_id == org_id, concluded)
    )
    acceded = (
        select(Accession.member_id)
        .join(Framework, Framework.id == Accession.framework_id)
        .where(
            Accession.member_id == org_id,
            Accession.status == AccessionStatus.APPROVED,
            concluded,
        )
    )
    return any(db.session.scalar(stmt.limit(1)) is not None for stmt in (named, acceded))


def _award_uses_organisation(org_id: int) -> bool:
    """Awarded a lot, on any framework: the award names it as tendered."""
    stmt = select(Award.id).where(Award.provider_id == org_id).limit(1)
    return db.session.scalar(stmt) is not None


register_identity_use(N_("named as beneficiary of a framework"), _framework_uses_organisation)
register_identity_use(N_("awarded a lot"), _award_uses_organisation)


# --- the provider's social action plan (SPEC 7.3, Ghent: "sociale criteria werk") -------------


class ActionKind(enum.StrEnum):
    WORK_EXPERIENCE = "work_experience"
    HIRING = "hiring"
    TRAINING = "training"
    SUBCONTRACTING = "subcontracting"


class ActionUnit(enum.StrEnum):
    PERSONS = "persons"
    HOURS = "hours"


class ActionPlanStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"


class ActionPlan(db.Model):
    """The main contractor's social action plan for one award: filed (and refiled) by the
    provider until the lead coordinator approves it; then fixed, and realised per quarter."""

    __tablename__ = "action_plans"
    __table_args__ = (enum_check("status", ActionPlanStatus, "status_allowed"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(
        enum_column_type(ActionPlanStatus), default=ActionPlanStatus.SUBMITTED
    )
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    award: Mapped[Award] = relationship()
    actions: Mapped[list[PlanAction]] = relationship(
        back_populates="plan", order_by="PlanAction.id", cascade="all, delete-orphan"
    )


# An action plan's input limits (SPEC 7.3): at most this many actions, a target of at most this
# many persons or hours, and texts of at most this length.
MAX_ACTIONS = 50
MAX_TARGET = Decimal("100000")
MAX_DESCRIPTION = 2000
MAX_NOTE = 2000


class PlanAction(db.Model):
    """One action of a plan: a kind, a target in persons or hours, and a due date."""

    __tablename__ = "plan_actions"
    __table_args__ = (
        enum_check("kind", ActionKind, "kind_allowed"),
        enum_check("unit", ActionUnit, "unit_allowed"),
        CheckConstraint("target > 0", name="target_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("action_plans.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(enum_column_type(ActionKind))
    target: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    unit: Mapped[str] = mapped_column(enum_column_type(ActionUnit))
    due_date: Mapped[date]
    description: Mapped[str] = mapped_column(Text, default="")
    # When the lead coordinators and the provider were told it is late (once; framework-status).
    late_alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    plan: Mapped[ActionPlan] = relationship(back_populates="actions")


class ActionRealisation(db.Model):
    """What the provider reports it realised of an action in one quarter (persons or hours, in
    the action's unit). A new report of the same quarter supersedes the earlier one, which is
    kept; the action's realised figure is the sum over quarters of their latest reports."""

    __tablename__ = "action_realisations"
    __table_args__ = (
        CheckConstraint("quarter >= 1 AND quarter <= 4", name="quarter_range"),
        CheckConstraint("realised >= 0", name="realised_not_negative"),
        Index("ix_action_realisations_action_quarter", "action_id", "year", "quarter"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("plan_actions.id", ondelete="CASCADE"))
    year: Mapped[int]
    quarter: Mapped[int]
    realised: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    note: Mapped[str] = mapped_column(Text, default="")
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    superseded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("action_realisations.id", ondelete="SET NULL")
    )


class ActionEvidence(db.Model):
    """An evidence file of an action's quarter, kept with its uploader and date; never edited.
    A new file that names an earlier one supersedes it (both are kept)."""

    __tablename__ = "action_evidence"
    __table_args__ = (
        CheckConstraint("quarter >= 1 AND quarter <= 4", name="quarter_range"),
        Index("ix_action_evidence_action_quarter", "action_id", "year", "quarter"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("plan_actions.id", ondelete="CASCADE"))
    year: Mapped[int]
    quarter: Mapped[int]
    filename: Mapped[str] = mapped_column(String(200))
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    content_type: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int]
    supersedes_id: Mapped[int | None] = mapped_column(
        ForeignKey("action_evidence.id", ondelete="SET NULL"), unique=True
    )
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
