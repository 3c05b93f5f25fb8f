"""The Organisation model: an authority or a provider."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from central.core.types import UTCDateTime, enum_check, enum_column_type, utcnow
from central.extensions import db


class OrganisationKind(enum.StrEnum):
    AUTHORITY = "authority"
    PROVIDER = "provider"
    # SPEC 7.4: they read the hydrants of the members that name them (role viewer).
    FIRE_ZONE = "fire_zone"
    WATER_COMPANY = "water_company"


class SocialEconomyStatus(enum.StrEnum):
    NONE = "none"
    MAATWERKBEDRIJF = "maatwerkbedrijf"
    LDE = "lde"
    SOCIALE_INSCHAKELING = "sociale_inschakeling"


# Lengths of the text columns, declared once (columns, input schemas, forms' maxlength).
NAME_LENGTH = 200
INVOICE_PREFIX_LENGTH = 10
RECOGNITION_NUMBER_LENGTH = 50

# Statuses that make a provider eligible for reserved contracts (art. 15, Act of 17 June 2016),
# in the order choices list them.
RECOGNISED_STATUSES: tuple[SocialEconomyStatus, ...] = (
    SocialEconomyStatus.MAATWERKBEDRIJF,
    SocialEconomyStatus.LDE,
    SocialEconomyStatus.SOCIALE_INSCHAKELING,
)
RECOGNISED_SOCIAL_ECONOMY = frozenset(RECOGNISED_STATUSES)


DEFAULT_INVOICE_PREFIX = "CEN-"

# Organisations whose users are viewers (SPEC 7.4): read-only, no money.
VIEWER_KINDS = frozenset({OrganisationKind.FIRE_ZONE, OrganisationKind.WATER_COMPANY})


class Organisation(db.Model):
    __tablename__ = "organisations"
    __table_args__ = (
        enum_check("kind", OrganisationKind, "kind_allowed"),
        enum_check("social_economy_status", SocialEconomyStatus, "social_economy_status_allowed"),
        # Only municipalities have a NIS code, and only authorities can be municipalities.
        CheckConstraint("kind = 'authority' OR nis_code IS NULL", name="nis_code_only_authority"),
        # A social-economy status qualifies a provider for reserved lots; authorities have none.
        CheckConstraint(
            "kind = 'provider' OR social_economy_status = 'none'",
            name="social_economy_only_provider",
        ),
        # Only a member authority names the fire zone and the water company that serve it.
        CheckConstraint(
            "fire_zone_id IS NULL OR kind = 'authority'", name="fire_zone_only_authority"
        ),
        CheckConstraint(
            "water_company_id IS NULL OR kind = 'authority'", name="water_company_only_authority"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    kind: Mapped[str] = mapped_column(enum_column_type(OrganisationKind))
    # Stored normalised as 0123.456.789; one organisation per enterprise number.
    enterprise_number: Mapped[str] = mapped_column(String(12), unique=True)
    nis_code: Mapped[str | None] = mapped_column(String(5), unique=True)
    # SPEC 7.2: the status comes from the recognitions (`social_economy_status`, below, is the
    # one valid today). The column keeps the status valid when a recognition was last written,
    # for SQL readers of the table only; the rules read the recognitions.
    recorded_social_economy_status: Mapped[str] = mapped_column(
        "social_economy_status",
        enum_column_type(SocialEconomyStatus),
        default=SocialEconomyStatus.NONE,
    )
    email: Mapped[str | None] = mapped_column(String(254))
    # SPEC 7.4: the fire zone and the water company an authority names; their viewers then
    # read its hydrants and are mailed when one goes out of service or back. Indexed: a
    # viewer's reach filters on them. A named organisation cannot be deleted (no action).
    fire_zone_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    water_company_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    # Statements are invoices issued in a provider's name (art. 53 § 2 WBTW): its own series,
    # {invoice_prefix}{year}-{n:05d}, paid into its own account.
    invoice_prefix: Mapped[str] = mapped_column(
        String(INVOICE_PREFIX_LENGTH), default=DEFAULT_INVOICE_PREFIX
    )
    # Not registered for VAT (e.g. exempt under art. 44 WBTW): invoiced without VAT number.
    vat_registered: Mapped[bool] = mapped_column(Boolean, default=True)
    # ISO 13616, stored without spaces (BE68539007547034).
    iban: Mapped[str | None] = mapped_column(String(34))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # SPEC 7.2: an authority merged into another (its successor) on `succeeded_on`; its history
    # stays here, marked, and it is read-only from then on.
    succeeded_by_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    succeeded_on: Mapped[date | None] = mapped_column(Date)

    succeeded_by: Mapped[Organisation | None] = relationship(
        remote_side="Organisation.id", foreign_keys=[succeeded_by_id]
    )
    recognitions: Mapped[list[Recognition]] = relationship(
        back_populates="organisation",
        order_by="(Recognition.valid_from, Recognition.id)",
        cascade="all, delete-orphan",
    )

    def social_economy_status_on(self, day: date) -> str:
        """The social-economy status recognised on `day` (SPEC 7.2); when recognitions overlap,
        the one that started last."""
        valid = [r for r in self.recognitions if r.valid_on(day)]
        if not valid:
            return SocialEconomyStatus.NONE
        return max(valid, key=lambda r: (r.valid_from, r.id or 0)).status

    @property
    def social_economy_status(self) -> str:
        """The status valid today, from the recognitions (read-only)."""
        from central.core.clock import today

        return self.social_economy_status_on(today())

    @property
    def vat_number(self) -> str | None:
        """The VAT number (BE + the ten digits of the enterprise number), if registered."""
        if not self.vat_registered:
            return None
        return "BE" + "".join(ch for ch in self.enterprise_number if ch.isdigit())

    @property
    def is_succeeded(self) -> bool:
        return self.succeeded_by_id is not None

    @property
    def is_authority(self) -> bool:
        return self.kind == OrganisationKind.AUTHORITY

    @property
    def is_viewer_organisation(self) -> bool:
        """A fire zone or a water company: its users are viewers."""
        return self.kind in VIEWER_KINDS

    @property
    def is_recognised_social_economy(self) -> bool:
        return self.social_economy_status in RECOGNISED_SOCIAL_ECONOMY

    def is_recognised_on(self, day: date) -> bool:
        return self.social_economy_status_on(day) in RECOGNISED_SOCIAL_ECONOMY

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


class Recognition(db.Model):
    """A provider's recognition as a social-economy enterprise (SPEC 7.2): status, number and the
    days it is valid (both included; no end: open-ended). Overlaps are allowed. A recognition
    the migration made from a former status has no number and `to_complete` set."""

    __tablename__ = "recognitions"
    __table_args__ = (
        CheckConstraint(
            "status IN ('maatwerkbedrijf', 'lde', 'sociale_inschakeling')",
            name="status_recognised",
        ),
        CheckConstraint(
            "valid_until IS NULL OR valid_until >= valid_from", name="valid_until_after_from"
        ),
        Index("ix_recognitions_organisation_valid", "organisation_id", "valid_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20))
    number: Mapped[str | None] = mapped_column(String(RECOGNITION_NUMBER_LENGTH))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    to_complete: Mapped[bool] = mapped_column(Boolean, default=False)
    # SPEC 7.2: when the lead coordinators were told it ends within 60 days (once).
    expiry_alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="recognitions")

    @property
    def valid_today(self) -> bool:
        from central.core.clock import today

        return self.valid_on(today())

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)
