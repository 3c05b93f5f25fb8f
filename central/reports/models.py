"""Reports: members' maintenance budgets, issued statements (afrekeningen) with their lines, and
the credits a coordinator decides, which land on a later statement (rule 7)."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from central.core.errors import N_
from central.core.money import vat_for_base
from central.core.types import UTCDateTime, enum_check, enum_column_type, utcnow
from central.core.validators import format_iban
from central.extensions import db
from central.organisations.models import Organisation
from central.organisations.queries import register_identity_use


class MaintenanceBudget(db.Model):
    """A member's maintenance budget for a year: the base of its social-economy share."""

    __tablename__ = "maintenance_budgets"
    __table_args__ = (
        # One budget per member and year; a new figure replaces the old one.
        UniqueConstraint("member_id", "year", name="uq_maintenance_budgets_member_year"),
        CheckConstraint("year >= 2000 AND year <= 2100", name="year_range"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        # A percentage of the budget (Hasselt: 15).
        CheckConstraint(
            "social_target_percent IS NULL OR "
            "(social_target_percent >= 0 AND social_target_percent <= 100)",
            name="social_target_percent_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    year: Mapped[int]
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    # The member's own target: the share of this budget for the social economy; NULL: none set.
    social_target_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    member: Mapped[Organisation] = relationship()


class ExternalSocialSpend(db.Model):
    """Social-economy spend a member declares it made outside the platform in a year (§7.1): it
    counts towards the member's own target, never towards a framework's."""

    __tablename__ = "external_social_spends"
    __table_args__ = (
        CheckConstraint("year >= 2000 AND year <= 2100", name="year_range"),
        CheckConstraint("amount > 0", name="amount_positive"),
        # Only spend with a recognised social-economy provider counts.
        CheckConstraint(
            "social_economy_status IN ('maatwerkbedrijf', 'lde', 'sociale_inschakeling')",
            name="social_economy_status_recognised",
        ),
        Index("ix_external_social_spends_member_year", "member_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    year: Mapped[int]
    provider_name: Mapped[str] = mapped_column(String(200))
    enterprise_number: Mapped[str] = mapped_column(String(12))
    social_economy_status: Mapped[str] = mapped_column(String(30))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class LineKind(enum.StrEnum):
    WORK = "work"
    CREDIT = "credit"


class DocumentType(enum.StrEnum):
    """An issued statement is an invoice (UNCL1001 380), or a credit note (381) when its total
    is negative."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class ImmutableStatement(Exception):
    """An issued statement or its lines cannot change (rule 7): correct with a credit."""


class Statement(db.Model):
    """An issued statement: one per framework, member, provider and month, numbered, never
    edited (rule 7). Names and numbers of the parties are kept as they were when issued."""

    __tablename__ = "statements"
    __table_args__ = (
        # One statement per framework, member, provider and month: issuing twice adds nothing.
        UniqueConstraint(
            "framework_id",
            "member_id",
            "provider_id",
            "month",
            name="uq_statements_framework_member_provider_month",
        ),
        # Each provider has its own series of invoice numbers (art. 53 § 2 WBTW): unique per
        # provider, not across providers.
        UniqueConstraint("provider_id", "number", name="uq_statements_provider_number"),
        # ... without gaps: one statement per sequence number in a provider's year.
        UniqueConstraint(
            "provider_id", "series_year", "sequence", name="uq_statements_provider_series"
        ),
        # Numbered in a series, or issued before the series (sequence unknown): both or none.
        CheckConstraint(
            "(series_year IS NULL) = (sequence IS NULL)", name="series_year_with_sequence"
        ),
        CheckConstraint("sequence IS NULL OR sequence > 0", name="sequence_positive"),
        enum_check("document_type", DocumentType, "document_type_allowed"),
        # A credit note is a statement whose total is negative; every other one an invoice.
        CheckConstraint(
            "(document_type = 'credit_note') = (total_incl_vat < 0)",
            name="document_type_follows_total",
        ),
        # A month is written YYYY-MM, so that it sorts and compares as text on every database.
        CheckConstraint("month LIKE '____-__'", name="month_format"),
        Index("ix_statements_member_month", "member_id", "month"),
        Index("ix_statements_framework_month", "framework_id", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The invoice number in the provider's series, e.g. CEN-2026-00012 (statements issued
    # before the per-provider series keep their platform-wide number, e.g. 2025-00012).
    number: Mapped[str] = mapped_column(String(20))
    # The provider's series: the year of issue and the number in it (1, 2, ... without gaps).
    series_year: Mapped[int | None]
    sequence: Mapped[int | None]
    document_type: Mapped[str] = mapped_column(
        enum_column_type(DocumentType), default=DocumentType.INVOICE
    )
    # Belgian structured communication (+++ddd/dddd/ddddd+++) the member pays with.
    payment_reference: Mapped[str] = mapped_column(String(20))
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id", ondelete="RESTRICT"))
    member_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    month: Mapped[str] = mapped_column(String(7))
    # The member's order or budget key from its accession, printed on the statement.
    order_reference: Mapped[str] = mapped_column(String(100))
    framework_reference: Mapped[str] = mapped_column(String(50))
    member_name: Mapped[str] = mapped_column(String(200))
    member_enterprise_number: Mapped[str] = mapped_column(String(12))
    provider_name: Mapped[str] = mapped_column(String(200))
    provider_enterprise_number: Mapped[str] = mapped_column(String(12))
    # As registered when issued: the provider's VAT number (none when not registered for VAT)
    # and the account the member pays into.
    provider_vat_number: Mapped[str | None] = mapped_column(String(14))
    provider_iban: Mapped[str | None] = mapped_column(String(34))
    total_excl_vat: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    vat: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    total_incl_vat: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lines: Mapped[list[StatementLine]] = relationship(
        back_populates="statement", order_by="StatementLine.position"
    )
    framework = relationship("Framework")
    member: Mapped[Organisation] = relationship(foreign_keys=[member_id])
    provider: Mapped[Organisation] = relationship(foreign_keys=[provider_id])

    @property
    def vat_breakdown(self) -> list[dict[str, Any]]:
        """VAT per rate on the total for that rate, as issued (see core.money.vat_for_base)."""
        bases: dict[Decimal, Decimal] = {}
        for line in self.lines:
            bases[line.vat_rate] = bases.get(line.vat_rate, Decimal("0.00")) + line.amount
        return [
            {
                "framework_id": self.framework_id,
                "provider_id": self.provider_id,
                "vat_rate": rate,
                "base": base,
                "vat": vat_for_base(base, rate),
            }
            for rate, base in sorted(bases.items())
        ]

    @property
    def corrected_statements(self) -> list[Statement]:
        """The statements whose credits this statement carries, oldest first."""
        found = {
            line.credit.corrects.id: line.credit.corrects for line in self.lines if line.credit
        }
        return [found[key] for key in sorted(found)]

    @property
    def corrects(self) -> list[int]:
        """Ids of the statements whose credits this statement carries."""
        return [statement.id for statement in self.corrected_statements]

    @property
    def provider_iban_printed(self) -> str | None:
        """The IBAN in groups of four, as printed on the invoice."""
        return format_iban(self.provider_iban) if self.provider_iban else None

    @property
    def is_credit_note(self) -> bool:
        return self.document_type == DocumentType.CREDIT_NOTE

    def __repr__(self) -> str:
        return f"<Statement {self.id} {self.number!r}>"


class StatementLine(db.Model):
    """A line of an issued statement: accepted work of one task type at one unit price, or a
    credit (a negative amount) decided by the coordinator."""

    __tablename__ = "statement_lines"
    __table_args__ = (
        enum_check("kind", LineKind, "kind_allowed"),
        UniqueConstraint("statement_id", "position", name="uq_statement_lines_statement_position"),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
        CheckConstraint("vat_rate >= 0 AND vat_rate <= 100", name="vat_rate_range"),
        # Work is billed, a credit is given back: the sign follows the kind.
        CheckConstraint(
            "(kind = 'work' AND amount >= 0) OR (kind = 'credit' AND amount <= 0)",
            name="amount_sign_follows_kind",
        ),
        # A credit line points at the credit it carries.
        CheckConstraint("kind = 'work' OR credit_id IS NOT NULL", name="credit_has_credit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="RESTRICT"), index=True
    )
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(enum_column_type(LineKind), default=LineKind.WORK)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id", ondelete="RESTRICT"))
    task_type: Mapped[str] = mapped_column(String(50))
    description: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    credit_id: Mapped[int | None] = mapped_column(
        ForeignKey("credits.id", ondelete="RESTRICT"), unique=True
    )
    # SPEC 7.2: the provider's social-economy status on the issue date, as it was.
    social_economy_status: Mapped[str] = mapped_column(
        String(20), default="none", server_default="none"
    )

    statement: Mapped[Statement] = relationship(back_populates="lines")
    credit: Mapped[Credit | None] = relationship(foreign_keys=[credit_id])

    @property
    def framework_id(self) -> int:
        return self.statement.framework_id

    @property
    def provider_id(self) -> int:
        return self.statement.provider_id


class Credit(db.Model):
    """A correction decided by the coordinator on an issued statement (rule 7): never an edit,
    but a credit line on the next statement of the same framework, member and provider."""

    __tablename__ = "credits"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("vat_rate >= 0 AND vat_rate <= 100", name="vat_rate_range"),
        Index("ix_credits_pending", "framework_id", "member_id", "provider_id", "statement_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The statement being corrected.
    corrects_statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="RESTRICT"), index=True
    )
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id", ondelete="RESTRICT"))
    member_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    # Excl. VAT, given back to the member.
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    reason: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The later statement that carries it; null while pending.
    statement_id: Mapped[int | None] = mapped_column(
        ForeignKey("statements.id", ondelete="RESTRICT")
    )

    corrects: Mapped[Statement] = relationship(foreign_keys=[corrects_statement_id])
    statement: Mapped[Statement | None] = relationship(foreign_keys=[statement_id])

    @property
    def pending(self) -> bool:
        return self.statement_id is None


@event.listens_for(Statement, "before_update")
@event.listens_for(Statement, "before_delete")
@event.listens_for(StatementLine, "before_update")
@event.listens_for(StatementLine, "before_delete")
def _refuse_change(_mapper: Any, _connection: Any, target: Any) -> None:
    """Rule 7 in the ORM; the migration adds database triggers that say the same."""
    raise ImmutableStatement(f"{target!r} is issued and cannot change; record a credit instead.")


__all__ = [
    "Credit",
    "DocumentType",
    "ExternalSocialSpend",
    "ImmutableStatement",
    "LineKind",
    "MaintenanceBudget",
    "Statement",
    "StatementLine",
]


def _statement_uses_organisation(org_id: int) -> bool:
    """A party (member or provider) to an issued statement: the invoice names it for good."""
    stmt = (
        select(Statement.id)
        .where(or_(Statement.member_id == org_id, Statement.provider_id == org_id))
        .limit(1)
    )
    return db.session.scalar(stmt) is not None


register_identity_use(N_("named on an issued statement"), _statement_uses_organisation)
