"""crews and closures; task types: service_minutes; lots: crew_day_minutes, travel_kmh;
rounds: planned_minutes, late_alerted_at

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 02:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

# (table, column, SQL type, NOT NULL DEFAULT or None, check name, check). Existing task types
# and lots take the defaults (15 minutes a task, a 450-minute crew-day at 30 km/h); existing
# rounds have no planned minutes and were never alerted as late.
COLUMNS = (
    ('task_types', 'service_minutes', 'INTEGER', '15', 'ck_task_types_service_minutes_range',
     'service_minutes >= 1 AND service_minutes <= 1440'),
    ('lots', 'crew_day_minutes', 'INTEGER', '450', 'ck_lots_crew_day_minutes_range',
     'crew_day_minutes >= 1 AND crew_day_minutes <= 1440'),
    ('lots', 'travel_kmh', 'INTEGER', '30', 'ck_lots_travel_kmh_range',
     'travel_kmh >= 1 AND travel_kmh <= 200'),
    ('rounds', 'planned_minutes', 'INTEGER', None, 'ck_rounds_planned_minutes_not_negative',
     'planned_minutes >= 0'),
)


def upgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table, column, sql_type, default, name, check in COLUMNS:
        if sqlite:
            # SQLite adds a column with its CHECK in place; a batch copy would drop and rename
            # tables that others reference (foreign keys are on).
            not_null = f' NOT NULL DEFAULT {default}' if default is not None else ''
            op.execute(
                f'ALTER TABLE {table} ADD COLUMN {column} {sql_type}{not_null} '
                f'CONSTRAINT {name} CHECK ({check})'
            )
        else:
            op.add_column(table, sa.Column(
                column, sa.Integer(), nullable=default is None,
                server_default=sa.text(default) if default is not None else None,
            ))
            op.create_check_constraint(op.f(name), table, check)
    op.add_column('rounds', sa.Column('late_alerted_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('crews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('days_per_week', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('days_per_week >= 1 AND days_per_week <= 7', name=op.f('ck_crews_days_per_week_range')),
    sa.ForeignKeyConstraint(['provider_id'], ['organisations.id'], name=op.f('fk_crews_provider_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crews')),
    sa.UniqueConstraint('provider_id', 'name', name='uq_crews_provider_name')
    )
    with op.batch_alter_table('crews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crews_provider_id'), ['provider_id'], unique=False)
    op.create_table('closures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('crew_id', sa.Integer(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('end_date >= start_date', name=op.f('ck_closures_end_not_before_start')),
    sa.ForeignKeyConstraint(['crew_id'], ['crews.id'], name=op.f('fk_closures_crew_id_crews'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['provider_id'], ['organisations.id'], name=op.f('fk_closures_provider_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_closures'))
    )
    with op.batch_alter_table('closures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_closures_crew_id'), ['crew_id'], unique=False)
        batch_op.create_index('ix_closures_provider_end', ['provider_id', 'end_date'], unique=False)


def downgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    op.drop_table('closures')
    op.drop_table('crews')
    op.drop_column('rounds', 'late_alerted_at')
    for table, column, _type, _default, name, _check in reversed(COLUMNS):
        if not sqlite:
            op.drop_constraint(op.f(name), table, type_='check')
        op.drop_column(table, column)
