"""organisations: succession of a merged municipality (succeeded_by, succeeded_on)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 07:00:00

SPEC 7.2: the admin records a municipal merger; the predecessor keeps its history, marked with
its successor, and is read-only. Existing organisations are not succeeded.
"""

from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        # Added in place (a batch copy would drop and rename a table others reference).
        op.execute(
            'ALTER TABLE organisations ADD COLUMN succeeded_by_id INTEGER '
            'REFERENCES organisations (id)'
        )
    else:
        op.add_column('organisations', sa.Column('succeeded_by_id', sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f('fk_organisations_succeeded_by_id_organisations'), 'organisations',
            'organisations', ['succeeded_by_id'], ['id'],
        )
    op.add_column('organisations', sa.Column('succeeded_on', sa.Date(), nullable=True))


def downgrade():
    op.drop_column('organisations', 'succeeded_on')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('fk_organisations_succeeded_by_id_organisations'),
                           'organisations', type_='foreignkey')
    op.drop_column('organisations', 'succeeded_by_id')
