"""frameworks: the changes register (framework_changes), initial_max_value frozen at activation,
revision_clause; price lines and task types name the change that brought them in; as_tendered

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 06:00:00

Running frameworks get their current maximum as initial maximum (no change was recorded before);
existing price lines and task types stay as they were (no change, not marked as tendered).
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

KINDS = (
    "'review_clause', 'provider_substitution', 'additional_services', 'unforeseen', "
    "'de_minimis'"
)


def upgrade():
    op.create_table(
        "framework_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("framework_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=21), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=True),
        sa.Column("value", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("old_provider_id", sa.Integer(), nullable=True),
        sa.Column("new_provider_id", sa.Integer(), nullable=True),
        sa.Column("max_value_before", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("max_value_after", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(f"kind IN ({KINDS})", name=op.f("ck_framework_changes_kind_allowed")),
        sa.CheckConstraint(
            "(kind = 'provider_substitution') = (old_provider_id IS NOT NULL)",
            name=op.f("ck_framework_changes_substitution_names_old_provider"),
        ),
        sa.CheckConstraint(
            "(kind = 'provider_substitution') = (new_provider_id IS NOT NULL)",
            name=op.f("ck_framework_changes_substitution_names_new_provider"),
        ),
        sa.CheckConstraint(
            "kind <> 'provider_substitution' OR value = 0",
            name=op.f("ck_framework_changes_substitution_has_no_value"),
        ),
        sa.CheckConstraint(
            "kind NOT IN ('additional_services', 'unforeseen') OR justification IS NOT NULL",
            name=op.f("ck_framework_changes_justified_where_the_law_asks"),
        ),
        sa.ForeignKeyConstraint(
            ["framework_id"],
            ["frameworks.id"],
            name=op.f("fk_framework_changes_framework_id_frameworks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["lots.id"], name=op.f("fk_framework_changes_lot_id_lots"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["old_provider_id"],
            ["organisations.id"],
            name=op.f("fk_framework_changes_old_provider_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["new_provider_id"],
            ["organisations.id"],
            name=op.f("fk_framework_changes_new_provider_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_framework_changes_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_framework_changes")),
    )
    op.create_index("ix_framework_changes_framework_id", "framework_changes", ["framework_id"])
    op.add_column(
        "frameworks",
        sa.Column("initial_max_value", sa.Numeric(precision=12, scale=2), nullable=True),
    )
    op.add_column("frameworks", sa.Column("revision_clause", sa.Text(), nullable=True))
    op.execute("UPDATE frameworks SET initial_max_value = max_value WHERE status <> 'draft'")
    with op.batch_alter_table("price_lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("as_tendered", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("change_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_price_lines_change_id_framework_changes"),
            "framework_changes",
            ["change_id"],
            ["id"],
            ondelete="RESTRICT",
        )
    with op.batch_alter_table("price_lines", schema=None) as batch_op:
        batch_op.alter_column("as_tendered", server_default=None)
    _add_task_type_change()


def _add_task_type_change():
    """task_types is referenced by price lines and tasks: SQLite adds the column with its
    reference in place (ALTER TABLE ADD COLUMN ... REFERENCES) rather than rebuilding it."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE task_types ADD COLUMN change_id INTEGER "
            "REFERENCES framework_changes (id)"
        )
        return
    op.add_column("task_types", sa.Column("change_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        op.f("fk_task_types_change_id_framework_changes"),
        "task_types",
        "framework_changes",
        ["change_id"],
        ["id"],
    )


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("ALTER TABLE task_types DROP COLUMN change_id")
    else:
        op.drop_constraint(
            op.f("fk_task_types_change_id_framework_changes"), "task_types", type_="foreignkey"
        )
        op.drop_column("task_types", "change_id")
    with op.batch_alter_table("price_lines", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_price_lines_change_id_framework_changes"), type_="foreignkey"
        )
        batch_op.drop_column("change_id")
        batch_op.drop_column("as_tendered")
    op.drop_column("frameworks", "revision_clause")
    op.drop_column("frameworks", "initial_max_value")
    op.drop_index("ix_framework_changes_framework_id", table_name="framework_changes")
    op.drop_table("framework_changes")
