"""tasks: amount (unit price × quantity, rounded half up to the cent), filled for every task

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 02:40:00

Every existing task gets the amount it was counted at: its unit price × quantity, rounded half
up to the cent (what committed values counted per task before). Issued statements keep their
lines as issued (rule 7).
"""
from decimal import ROUND_HALF_UP, Decimal

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

CHECK = 'amount >= 0'
CHECK_NAME = 'ck_tasks_amount_not_negative'


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        # SQLite adds a NOT NULL column in place only with a default (a batch copy would drop
        # and rename a table that others reference); every row is filled below.
        op.execute(
            'ALTER TABLE tasks ADD COLUMN amount NUMERIC(12, 2) NOT NULL DEFAULT 0 '
            f'CONSTRAINT {CHECK_NAME} CHECK ({CHECK})'
        )
        # SQLite keeps NUMERIC as floating point: the amounts are computed exactly in Python,
        # once per distinct (unit price, quantity).
        pairs = bind.execute(sa.text('SELECT DISTINCT unit_price, quantity FROM tasks')).all()
        for unit_price, quantity in pairs:
            amount = (Decimal(str(unit_price)) * Decimal(str(quantity))).quantize(
                Decimal('0.01'), rounding=ROUND_HALF_UP
            )
            bind.execute(
                sa.text(
                    'UPDATE tasks SET amount = :amount '
                    'WHERE unit_price = :unit_price AND quantity = :quantity'
                ),
                {'amount': float(amount), 'unit_price': unit_price, 'quantity': quantity},
            )
        return
    op.add_column('tasks', sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=True))
    # PostgreSQL's numeric round() rounds half away from zero: half up for these positive values.
    op.execute('UPDATE tasks SET amount = round(unit_price * quantity, 2)')
    op.alter_column('tasks', 'amount', nullable=False)
    op.create_check_constraint(op.f(CHECK_NAME), 'tasks', CHECK)


def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f(CHECK_NAME), 'tasks', type_='check')
    op.drop_column('tasks', 'amount')
