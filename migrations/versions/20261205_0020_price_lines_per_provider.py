"""price lines: per awarded provider (provider_id; a line without one stays the lot's common line)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 06:00:00

SPEC 7.2: in a cascade each provider is paid the price it tendered. Existing lines keep
`provider_id` NULL: they stay the common lines of their lot, as before.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("price_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provider_id", sa.Integer(), nullable=True))
        batch_op.drop_constraint("uq_price_lines_task_type_valid_from", type_="unique")
        batch_op.create_foreign_key(
            "fk_price_lines_lot_provider_award",
            "awards",
            ["lot_id", "provider_id"],
            ["lot_id", "provider_id"],
            ondelete="CASCADE",
        )
    op.create_index(
        "uq_price_lines_common_task_type_valid_from",
        "price_lines",
        ["task_type_id", "valid_from"],
        unique=True,
        sqlite_where=sa.text("provider_id IS NULL"),
        postgresql_where=sa.text("provider_id IS NULL"),
    )
    op.create_index(
        "uq_price_lines_provider_task_type_valid_from",
        "price_lines",
        ["provider_id", "task_type_id", "valid_from"],
        unique=True,
        sqlite_where=sa.text("provider_id IS NOT NULL"),
        postgresql_where=sa.text("provider_id IS NOT NULL"),
    )


def downgrade():
    op.execute("DELETE FROM price_lines WHERE provider_id IS NOT NULL")
    op.drop_index("uq_price_lines_provider_task_type_valid_from", table_name="price_lines")
    op.drop_index("uq_price_lines_common_task_type_valid_from", table_name="price_lines")
    with op.batch_alter_table("price_lines", schema=None) as batch_op:
        batch_op.drop_constraint("fk_price_lines_lot_provider_award", type_="foreignkey")
        batch_op.create_unique_constraint(
            "uq_price_lines_task_type_valid_from", ["task_type_id", "valid_from"]
        )
        batch_op.drop_column("provider_id")
