"""lots: social clause; awards: social-economy subcontractors and the task types they do

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 08:40:00

SPEC 7.3 (Ghent). Existing lots have no social clause; there are no subcontractors yet.
"""

from alembic import op
import sqlalchemy as sa


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

CLAUSE_CHECK = (
    "(social_clause_kind IS NULL AND social_clause_target IS NULL) OR "
    "(social_clause_kind IN ('subcontracting_share', 'target_group_hours') "
    "AND social_clause_target > 0)"
)


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a column with its CHECK in place; a batch copy would drop and rename a
        # table that others reference (foreign keys are on).
        op.execute('ALTER TABLE lots ADD COLUMN social_clause_kind VARCHAR(30)')
        op.execute(
            'ALTER TABLE lots ADD COLUMN social_clause_target NUMERIC(10, 2) '
            f'CONSTRAINT ck_lots_social_clause_complete CHECK ({CLAUSE_CHECK})'
        )
    else:
        op.add_column('lots', sa.Column('social_clause_kind', sa.String(length=30), nullable=True))
        op.add_column('lots', sa.Column('social_clause_target', sa.Numeric(10, 2), nullable=True))
        op.create_check_constraint(op.f('ck_lots_social_clause_complete'), 'lots', CLAUSE_CHECK)
    op.create_table(
        'award_subcontractors',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('award_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('social_economy_status', sa.String(length=20), nullable=False),
        sa.Column('started_on', sa.Date(), nullable=False),
        sa.Column('ended_on', sa.Date(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ended_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('ended_on IS NULL OR ended_on >= started_on',
                           name=op.f('ck_award_subcontractors_ended_after_start')),
        sa.ForeignKeyConstraint(['award_id'], ['awards.id'],
                                name=op.f('fk_award_subcontractors_award_id_awards'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_award_subcontractors_organisation_id_organisations'),
                                ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_award_subcontractors_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['ended_by_id'], ['users.id'],
                                name=op.f('fk_award_subcontractors_ended_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_award_subcontractors')),
    )
    op.create_index(op.f('ix_award_subcontractors_award_id'), 'award_subcontractors',
                    ['award_id'])
    op.create_index('ix_award_subcontractors_organisation', 'award_subcontractors',
                    ['organisation_id'])
    op.create_table(
        'subcontracted_task_types',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subcontractor_id', sa.Integer(), nullable=False),
        sa.Column('award_id', sa.Integer(), nullable=False),
        sa.Column('task_type_id', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['subcontractor_id'], ['award_subcontractors.id'],
                                name=op.f('fk_subcontracted_task_types_subcontractor_id_award_subcontractors'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['award_id'], ['awards.id'],
                                name=op.f('fk_subcontracted_task_types_award_id_awards'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['task_type_id'], ['task_types.id'],
                                name=op.f('fk_subcontracted_task_types_task_type_id_task_types'),
                                ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_subcontracted_task_types')),
    )
    op.create_index(op.f('ix_subcontracted_task_types_subcontractor_id'),
                    'subcontracted_task_types', ['subcontractor_id'])
    op.create_index('ix_subcontracted_task_types_task_type', 'subcontracted_task_types',
                    ['task_type_id', 'active'])
    op.create_index('uq_subcontracted_task_types_active', 'subcontracted_task_types',
                    ['award_id', 'task_type_id'], unique=True,
                    sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))


def downgrade():
    op.drop_table('subcontracted_task_types')
    op.drop_table('award_subcontractors')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('ck_lots_social_clause_complete'), 'lots', type_='check')
    op.drop_column('lots', 'social_clause_target')
    op.drop_column('lots', 'social_clause_kind')
