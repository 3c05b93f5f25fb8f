"""assets: measure (size in the unit of the price); needs: quantity

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 00:18:42

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# (table, column, check name, check): both columns are optional, existing rows keep NULL.
COLUMNS = (
    ('assets', 'measure', 'ck_assets_measure_positive', 'measure IS NULL OR measure > 0'),
    ('needs', 'quantity', 'ck_needs_quantity_positive', 'quantity IS NULL OR quantity > 0'),
)


def upgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table, column, name, check in COLUMNS:
        if sqlite:
            # SQLite adds a column with its CHECK in place; a batch copy would drop and rename
            # tables that others reference (foreign keys are on).
            op.execute(
                f'ALTER TABLE {table} ADD COLUMN {column} NUMERIC(12, 2) '
                f'CONSTRAINT {name} CHECK ({check})'
            )
        else:
            op.add_column(table, sa.Column(column, sa.Numeric(precision=12, scale=2), nullable=True))
            op.create_check_constraint(op.f(name), table, check)


def downgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table, column, name, _check in reversed(COLUMNS):
        if not sqlite:
            op.drop_constraint(op.f(name), table, type_='check')
        op.drop_column(table, column)
