"""planning: the dueness index holds only served tasks (done or accepted), so that planning
open tasks does not write to it

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 23:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

SERVED = sa.text("status IN ('done', 'accepted')")


def upgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_asset_task_type_status')
        batch_op.create_index(
            'ix_tasks_served_asset_task_type',
            ['asset_id', 'task_type', 'done_on', 'result', 'status'],
            unique=False,
            sqlite_where=SERVED,
            postgresql_where=SERVED,
        )


def downgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index(
            'ix_tasks_served_asset_task_type', sqlite_where=SERVED, postgresql_where=SERVED
        )
        batch_op.create_index(
            'ix_tasks_asset_task_type_status',
            ['asset_id', 'task_type', 'status', 'done_on', 'result'],
            unique=False,
        )
