"""recognitions: when the lead coordinators were told one ends within 60 days

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 07:10:00

SPEC 7.2: the alert is sent once per recognition; existing recognitions were never alerted.
"""

from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('recognitions', sa.Column('expiry_alerted_at', sa.DateTime(timezone=True),
                                            nullable=True))


def downgrade():
    op.drop_column('recognitions', 'expiry_alerted_at')
