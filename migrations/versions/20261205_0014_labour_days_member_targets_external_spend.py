"""labour per provider and work date (labour days); members' own social target; external spend

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 02:30:00

Labour was kept per round and work date. It is now kept per provider (or crew) and work date, a
labour day, with each round's part as before: every existing labour entry stays, one to one, as
its round's part of the day of its round's provider on its work date. An entry gets `workers`:
its target-group workers, and at least the fewest workers its hours need (24 hours each). A day
adds up its entries' hours and takes the most workers any of its rounds had (one crew serving
several rounds is counted once), and at least the fewest workers its hours need.
"""
import math
from collections import defaultdict
from decimal import Decimal

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

TARGET_CHECK = (
    'social_target_percent IS NULL OR '
    '(social_target_percent >= 0 AND social_target_percent <= 100)'
)


def _fewest_workers(hours):
    return math.ceil(Decimal(hours) / 24)


def _entries_table(name):
    """labour_entries as the models now define it (SQLite rebuilds the table under `name`)."""
    return op.create_table(
        name,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('labour_day_id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('work_date', sa.Date(), nullable=False),
        sa.Column('hours', sa.Numeric(precision=7, scale=2), nullable=False),
        sa.Column('workers', sa.Integer(), nullable=False),
        sa.Column('target_group_hours', sa.Numeric(precision=7, scale=2), nullable=False),
        sa.Column('target_group_workers', sa.Integer(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('hours >= 0', name=op.f('ck_labour_entries_hours_not_negative')),
        sa.CheckConstraint(
            'target_group_hours = 0 OR target_group_workers > 0',
            name=op.f('ck_labour_entries_target_group_hours_have_workers'),
        ),
        sa.CheckConstraint(
            'target_group_hours >= 0 AND target_group_hours <= hours',
            name=op.f('ck_labour_entries_target_group_hours_within_hours'),
        ),
        sa.CheckConstraint(
            'target_group_workers >= 0', name=op.f('ck_labour_entries_workers_not_negative')
        ),
        sa.CheckConstraint(
            'target_group_workers <= workers AND hours <= 24 * workers',
            name=op.f('ck_labour_entries_workers_cover_the_hours'),
        ),
        sa.ForeignKeyConstraint(
            ['labour_day_id'], ['labour_days.id'],
            name=op.f('fk_labour_entries_labour_day_id_labour_days'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['recorded_by_id'], ['users.id'],
            name=op.f('fk_labour_entries_recorded_by_id_users'), ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['round_id'], ['rounds.id'], name=op.f('fk_labour_entries_round_id_rounds'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_labour_entries')),
        sa.UniqueConstraint('labour_day_id', 'round_id', name=op.f('uq_labour_entries_day_round')),
    )


def upgrade():
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    op.create_table('labour_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('crew_id', sa.Integer(), nullable=True),
    sa.Column('work_date', sa.Date(), nullable=False),
    sa.Column('hours', sa.Numeric(precision=8, scale=2), nullable=False),
    sa.Column('workers', sa.Integer(), nullable=False),
    sa.Column('target_group_hours', sa.Numeric(precision=8, scale=2), nullable=False),
    sa.Column('target_group_workers', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('hours <= 24 * workers', name=op.f('ck_labour_days_hours_within_a_day_per_worker')),
    sa.CheckConstraint('hours >= 0', name=op.f('ck_labour_days_hours_not_negative')),
    sa.CheckConstraint('target_group_hours <= 24 * target_group_workers', name=op.f('ck_labour_days_target_group_hours_within_a_day_per_worker')),
    sa.CheckConstraint('target_group_hours >= 0 AND target_group_hours <= hours', name=op.f('ck_labour_days_target_group_hours_within_hours')),
    sa.CheckConstraint('target_group_workers >= 0 AND target_group_workers <= workers', name=op.f('ck_labour_days_target_group_workers_within_workers')),
    sa.ForeignKeyConstraint(['provider_id'], ['organisations.id'], name=op.f('fk_labour_days_provider_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_labour_days'))
    )
    op.create_index('ix_labour_days_work_date', 'labour_days', ['work_date'], unique=False)
    op.create_index('uq_labour_days_provider_crew_date', 'labour_days', ['provider_id', 'crew_id', 'work_date'], unique=True, sqlite_where=sa.text('crew_id IS NOT NULL'), postgresql_where=sa.text('crew_id IS NOT NULL'))
    op.create_index('uq_labour_days_provider_date', 'labour_days', ['provider_id', 'work_date'], unique=True, sqlite_where=sa.text('crew_id IS NULL'), postgresql_where=sa.text('crew_id IS NULL'))

    op.create_table('external_social_spends',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('provider_name', sa.String(length=200), nullable=False),
    sa.Column('enterprise_number', sa.String(length=12), nullable=False),
    sa.Column('social_economy_status', sa.String(length=30), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount > 0', name=op.f('ck_external_social_spends_amount_positive')),
    sa.CheckConstraint("social_economy_status IN ('maatwerkbedrijf', 'lde', 'sociale_inschakeling')", name=op.f('ck_external_social_spends_social_economy_status_recognised')),
    sa.CheckConstraint('year >= 2000 AND year <= 2100', name=op.f('ck_external_social_spends_year_range')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_external_social_spends_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['organisations.id'], name=op.f('fk_external_social_spends_member_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_external_social_spends'))
    )
    op.create_index('ix_external_social_spends_member_year', 'external_social_spends', ['member_id', 'year'], unique=False)

    if sqlite:
        # SQLite adds a column with its CHECK in place (maintenance_budgets is referenced by none,
        # but a plain ADD COLUMN keeps every row as it is).
        op.execute(
            'ALTER TABLE maintenance_budgets ADD COLUMN social_target_percent NUMERIC(5, 2) '
            f'CONSTRAINT ck_maintenance_budgets_social_target_percent_range CHECK ({TARGET_CHECK})'
        )
    else:
        op.add_column('maintenance_budgets', sa.Column('social_target_percent', sa.Numeric(precision=5, scale=2), nullable=True))
        op.create_check_constraint(
            op.f('ck_maintenance_budgets_social_target_percent_range'), 'maintenance_budgets', TARGET_CHECK
        )

    # Each entry's day: the provider of its round (or, for a round without one, the organisation
    # of who recorded it) on its work date.
    old = bind.execute(sa.text(
        'SELECT e.id, e.work_date, e.hours, e.target_group_hours, e.target_group_workers, '
        'COALESCE(r.provider_id, u.organisation_id) AS provider_id, e.created_at, e.updated_at '
        'FROM labour_entries e JOIN rounds r ON r.id = e.round_id '
        'LEFT JOIN users u ON u.id = e.recorded_by_id ORDER BY e.id'
    )).mappings().all()
    days = defaultdict(list)
    for entry in old:
        if entry['provider_id'] is None:
            raise RuntimeError(f"labour entry {entry['id']}: its round has no provider")
        days[(entry['provider_id'], str(entry['work_date']))].append(entry)
    day_table = sa.table(
        'labour_days',
        sa.column('id', sa.Integer()),
        sa.column('provider_id', sa.Integer()),
        sa.column('crew_id', sa.Integer()),
        sa.column('work_date'),
        sa.column('hours', sa.Numeric(8, 2)),
        sa.column('workers', sa.Integer()),
        sa.column('target_group_hours', sa.Numeric(8, 2)),
        sa.column('target_group_workers', sa.Integer()),
        sa.column('created_at'),
        sa.column('updated_at'),
    )
    day_rows, entry_days, entry_workers = [], {}, {}
    for number, ((provider_id, _work_date), entries) in enumerate(sorted(days.items()), start=1):
        hours = sum(Decimal(e['hours']) for e in entries)
        group_hours = sum(Decimal(e['target_group_hours']) for e in entries)
        workers = 0
        for e in entries:
            entry_workers[e['id']] = max(e['target_group_workers'], _fewest_workers(e['hours']))
            entry_days[e['id']] = number
            workers = max(workers, entry_workers[e['id']])
        group_workers = max(
            max(e['target_group_workers'] for e in entries), _fewest_workers(group_hours)
        )
        workers = max(workers, group_workers, _fewest_workers(hours))
        day_rows.append({
            'id': number, 'provider_id': provider_id, 'crew_id': None,
            'work_date': entries[0]['work_date'], 'hours': hours, 'workers': workers,
            'target_group_hours': group_hours, 'target_group_workers': group_workers,
            'created_at': min(e['created_at'] for e in entries),
            'updated_at': max(e['updated_at'] for e in entries),
        })
    if day_rows:
        op.bulk_insert(day_table, day_rows)
        if not sqlite:
            op.execute(
                "SELECT setval(pg_get_serial_sequence('labour_days', 'id'), "
                "(SELECT max(id) FROM labour_days))"
            )

    columns = (
        'id, labour_day_id, round_id, work_date, hours, workers, target_group_hours, '
        'target_group_workers, recorded_by_id, created_at, updated_at'
    )
    if sqlite:
        # Rebuild the table (nothing references labour_entries): SQLite cannot alter constraints.
        _entries_table('labour_entries_new')
        if old:
            rows = bind.execute(sa.text(
                'SELECT id, round_id, work_date, hours, target_group_hours, target_group_workers, '
                'recorded_by_id, created_at, updated_at FROM labour_entries'
            )).mappings().all()
            bind.execute(
                sa.text(f'INSERT INTO labour_entries_new ({columns}) VALUES (:id, :labour_day_id, '
                        ':round_id, :work_date, :hours, :workers, :target_group_hours, '
                        ':target_group_workers, :recorded_by_id, :created_at, :updated_at)'),
                [
                    {**row, 'labour_day_id': entry_days[row['id']],
                     'workers': entry_workers[row['id']]}
                    for row in rows
                ],
            )
        op.execute('DROP TABLE labour_entries')
        op.execute('ALTER TABLE labour_entries_new RENAME TO labour_entries')
        op.create_index('ix_labour_entries_work_date', 'labour_entries', ['work_date'], unique=False)
    else:
        op.add_column('labour_entries', sa.Column('labour_day_id', sa.Integer(), nullable=True))
        op.add_column('labour_entries', sa.Column('workers', sa.Integer(), nullable=True))
        if old:
            bind.execute(
                sa.text('UPDATE labour_entries SET labour_day_id = :day, workers = :workers '
                        'WHERE id = :id'),
                [
                    {'id': entry_id, 'day': entry_days[entry_id], 'workers': entry_workers[entry_id]}
                    for entry_id in entry_days
                ],
            )
        op.alter_column('labour_entries', 'labour_day_id', nullable=False)
        op.alter_column('labour_entries', 'workers', nullable=False)
        op.create_foreign_key(
            op.f('fk_labour_entries_labour_day_id_labour_days'), 'labour_entries', 'labour_days',
            ['labour_day_id'], ['id'], ondelete='CASCADE',
        )
        op.drop_constraint(op.f('uq_labour_entries_round_work_date'), 'labour_entries', type_='unique')
        op.create_unique_constraint(
            op.f('uq_labour_entries_day_round'), 'labour_entries', ['labour_day_id', 'round_id']
        )
        op.create_check_constraint(
            op.f('ck_labour_entries_workers_cover_the_hours'), 'labour_entries',
            'target_group_workers <= workers AND hours <= 24 * workers',
        )
    op.create_index('ix_labour_entries_round_id', 'labour_entries', ['round_id'], unique=False)


def downgrade():
    """Back to one row per round and work date: a round's part of a day is its row again (the
    days and the workers are dropped; two providers' parts of one round and date keep the first)."""
    sqlite = op.get_bind().dialect.name == 'sqlite'
    op.drop_index('ix_labour_entries_round_id', table_name='labour_entries')
    op.execute(
        'DELETE FROM labour_entries WHERE id NOT IN '
        '(SELECT min(id) FROM labour_entries GROUP BY round_id, work_date)'
    )
    if sqlite:
        op.create_table('labour_entries_old',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('work_date', sa.Date(), nullable=False),
        sa.Column('hours', sa.Numeric(precision=7, scale=2), nullable=False),
        sa.Column('target_group_hours', sa.Numeric(precision=7, scale=2), nullable=False),
        sa.Column('target_group_workers', sa.Integer(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('hours >= 0', name=op.f('ck_labour_entries_hours_not_negative')),
        sa.CheckConstraint('target_group_hours = 0 OR target_group_workers > 0', name=op.f('ck_labour_entries_target_group_hours_have_workers')),
        sa.CheckConstraint('target_group_hours >= 0 AND target_group_hours <= hours', name=op.f('ck_labour_entries_target_group_hours_within_hours')),
        sa.CheckConstraint('target_group_workers >= 0', name=op.f('ck_labour_entries_workers_not_negative')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_labour_entries_recorded_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_labour_entries_round_id_rounds'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_labour_entries')),
        sa.UniqueConstraint('round_id', 'work_date', name='uq_labour_entries_round_work_date')
        )
        op.execute(
            'INSERT INTO labour_entries_old (id, round_id, work_date, hours, target_group_hours, '
            'target_group_workers, recorded_by_id, created_at, updated_at) SELECT id, round_id, '
            'work_date, hours, target_group_hours, target_group_workers, recorded_by_id, '
            'created_at, updated_at FROM labour_entries'
        )
        op.execute('DROP TABLE labour_entries')
        op.execute('ALTER TABLE labour_entries_old RENAME TO labour_entries')
        op.create_index('ix_labour_entries_work_date', 'labour_entries', ['work_date'], unique=False)
    else:
        op.drop_constraint(op.f('ck_labour_entries_workers_cover_the_hours'), 'labour_entries', type_='check')
        op.drop_constraint(op.f('fk_labour_entries_labour_day_id_labour_days'), 'labour_entries', type_='foreignkey')
        op.drop_constraint(op.f('uq_labour_entries_day_round'), 'labour_entries', type_='unique')
        op.create_unique_constraint(op.f('uq_labour_entries_round_work_date'), 'labour_entries', ['round_id', 'work_date'])
        op.drop_column('labour_entries', 'labour_day_id')
        op.drop_column('labour_entries', 'workers')
    if not sqlite:
        op.drop_constraint(op.f('ck_maintenance_budgets_social_target_percent_range'), 'maintenance_budgets', type_='check')
    op.drop_column('maintenance_budgets', 'social_target_percent')
    op.drop_index('ix_external_social_spends_member_year', table_name='external_social_spends')
    op.drop_table('external_social_spends')
    op.drop_index('uq_labour_days_provider_date', table_name='labour_days')
    op.drop_index('uq_labour_days_provider_crew_date', table_name='labour_days')
    op.drop_index('ix_labour_days_work_date', table_name='labour_days')
    op.drop_table('labour_days')
