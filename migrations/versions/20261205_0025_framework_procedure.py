"""frameworks: the procedure on record (procedure, CPV codes, notice references, award
decision date, standstill end)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 09:00:00

SPEC 7.2. Existing frameworks have none on record: their lists start empty and the lead
coordinator completes them (a running framework may fill in what is empty, never change it).
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

PROCEDURES = (
    "'open', 'restricted', 'competitive_negotiation', 'negotiated_with_publication', "
    "'negotiated_without_publication'"
)


def upgrade():
    with op.batch_alter_table("frameworks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("procedure", sa.String(length=30), nullable=True))
        batch_op.add_column(
            sa.Column("cpv_codes", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(
            sa.Column(
                "notice_references", sa.JSON(), nullable=False, server_default=sa.text("'[]'")
            )
        )
        batch_op.add_column(sa.Column("award_decision_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("standstill_end", sa.Date(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_frameworks_procedure_allowed"), f"procedure IS NULL OR procedure IN ({PROCEDURES})"
        )
        batch_op.create_check_constraint(
            op.f("ck_frameworks_standstill_after_award_decision"),
            "standstill_end IS NULL OR award_decision_date IS NULL "
            "OR standstill_end >= award_decision_date",
        )
    # The lists are written by the application from now on; no default in the database.
    with op.batch_alter_table("frameworks", schema=None) as batch_op:
        batch_op.alter_column("cpv_codes", server_default=None)
        batch_op.alter_column("notice_references", server_default=None)


def downgrade():
    with op.batch_alter_table("frameworks", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_frameworks_standstill_after_award_decision"), type_="check")
        batch_op.drop_constraint(op.f("ck_frameworks_procedure_allowed"), type_="check")
        batch_op.drop_column("standstill_end")
        batch_op.drop_column("award_decision_date")
        batch_op.drop_column("notice_references")
        batch_op.drop_column("cpv_codes")
        batch_op.drop_column("procedure")
