"""asset kinds: the owning authority (a central's own kinds; none for the shared ones)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 02:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

FK = 'fk_asset_kinds_owner_organisation_id_organisations'

# Kinds a coordinator made belong to its authority, as the audit log says who made each; the
# seeded kinds and the admin's stay shared (NULL).
BACKFILL = """
UPDATE asset_kinds SET owner_organisation_id = (
    SELECT users.organisation_id
    FROM audit_events JOIN users ON users.id = audit_events.actor_id
    WHERE audit_events.action = 'asset_kind.created'
      AND audit_events.object_type = 'asset_kinds'
      AND audit_events.object_id = asset_kinds.id
      AND users.role = 'coordinator'
    ORDER BY audit_events.id
    LIMIT 1
)
"""


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a column with its reference in place; a batch copy would drop and rename a
        # table that others reference (foreign keys are on).
        op.execute(
            'ALTER TABLE asset_kinds ADD COLUMN owner_organisation_id INTEGER '
            'REFERENCES organisations (id)'
        )
    else:
        op.add_column('asset_kinds', sa.Column('owner_organisation_id', sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f(FK), 'asset_kinds', 'organisations', ['owner_organisation_id'], ['id']
        )
    op.execute(BACKFILL)


def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f(FK), 'asset_kinds', type_='foreignkey')
    op.drop_column('asset_kinds', 'owner_organisation_id')
