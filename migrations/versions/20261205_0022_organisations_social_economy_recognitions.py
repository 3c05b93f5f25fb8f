"""organisations: social-economy recognitions; the status kept on awards and statement lines

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 06:30:00

SPEC 7.2: a provider's social-economy status now comes from its recognitions. Each provider with
a status gets a recognition of it, without a number and flagged `to_complete` for the admin,
valid from the day the organisation was created, open-ended. Existing awards and statement lines
keep the status their provider has now (the best record there is of the status they relied on).
"""

from datetime import date, datetime

from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def _day(value):
    """The date of a stored created_at (a datetime, or SQLite's text)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def upgrade():
    op.create_table(
        'recognitions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('number', sa.String(length=50), nullable=True),
        sa.Column('valid_from', sa.Date(), nullable=False),
        sa.Column('valid_until', sa.Date(), nullable=True),
        sa.Column('to_complete', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('maatwerkbedrijf', 'lde', 'sociale_inschakeling')",
            name=op.f('ck_recognitions_status_recognised'),
        ),
        sa.CheckConstraint(
            'valid_until IS NULL OR valid_until >= valid_from',
            name=op.f('ck_recognitions_valid_until_after_from'),
        ),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_recognitions_organisation_id_organisations'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recognitions')),
    )
    op.create_index('ix_recognitions_organisation_valid', 'recognitions',
                    ['organisation_id', 'valid_from'])
    op.add_column('awards', sa.Column('social_economy_status', sa.String(length=20),
                                      server_default='none', nullable=False))
    op.add_column('statement_lines', sa.Column('social_economy_status', sa.String(length=20),
                                               server_default='none', nullable=False))
    bind = op.get_bind()
    now = datetime.now().astimezone()
    rows = bind.execute(sa.text(
        "SELECT id, social_economy_status, created_at FROM organisations "
        "WHERE social_economy_status <> 'none' ORDER BY id"
    )).all()
    if rows:
        bind.execute(
            sa.text(
                'INSERT INTO recognitions (organisation_id, status, number, valid_from, '
                'valid_until, to_complete, created_at) VALUES (:org, :status, NULL, :start, '
                'NULL, :flag, :now)'
            ),
            [{'org': i, 'status': s, 'start': _day(c), 'flag': True, 'now': now}
             for i, s, c in rows],
        )
    bind.execute(sa.text(
        'UPDATE awards SET social_economy_status = (SELECT o.social_economy_status '
        'FROM organisations o WHERE o.id = awards.provider_id)'
    ))
    # Issued lines are immutable (triggers); the kept status is filled once, the guard lifted
    # for this update alone.
    sqlite = bind.dialect.name == 'sqlite'
    if sqlite:
        op.execute('DROP TRIGGER statement_lines_no_update')
    else:
        op.execute('ALTER TABLE statement_lines DISABLE TRIGGER statement_lines_immutable')
    bind.execute(sa.text(
        'UPDATE statement_lines SET social_economy_status = (SELECT o.social_economy_status '
        'FROM statements s JOIN organisations o ON o.id = s.provider_id '
        'WHERE s.id = statement_lines.statement_id)'
    ))
    if sqlite:
        op.execute(
            'CREATE TRIGGER statement_lines_no_update BEFORE UPDATE ON statement_lines '
            "BEGIN SELECT RAISE(ABORT, 'issued statements are immutable; "
            "record a credit instead'); END"
        )
    else:
        op.execute('ALTER TABLE statement_lines ENABLE TRIGGER statement_lines_immutable')


def downgrade():
    op.drop_column('statement_lines', 'social_economy_status')
    op.drop_column('awards', 'social_economy_status')
    op.drop_index('ix_recognitions_organisation_valid', table_name='recognitions')
    op.drop_table('recognitions')
