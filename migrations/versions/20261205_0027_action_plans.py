"""action plans of awards: actions, quarterly realisations and evidence files

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05 09:00:00

SPEC 7.3 (Ghent, "sociale criteria werk"). New tables only.
"""

from alembic import op
import sqlalchemy as sa


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def _users(table, *columns):
    return [
        sa.ForeignKeyConstraint([c], ['users.id'], name=op.f(f'fk_{table}_{c}_users'),
                                ondelete='SET NULL')
        for c in columns
    ]


def upgrade():
    op.create_table(
        'action_plans',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('award_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=9), nullable=False),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('submitted_by_id', sa.Integer(), nullable=True),
        sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('approved_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('submitted', 'approved')",
                           name=op.f('ck_action_plans_status_allowed')),
        sa.ForeignKeyConstraint(['award_id'], ['awards.id'],
                                name=op.f('fk_action_plans_award_id_awards'), ondelete='CASCADE'),
        *_users('action_plans', 'submitted_by_id', 'approved_by_id'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_action_plans')),
        sa.UniqueConstraint('award_id', name=op.f('uq_action_plans_award_id')),
    )
    op.create_table(
        'plan_actions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=15), nullable=False),
        sa.Column('target', sa.Numeric(10, 2), nullable=False),
        sa.Column('unit', sa.String(length=7), nullable=False),
        sa.Column('due_date', sa.Date(), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('late_alerted_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('work_experience', 'hiring', 'training', 'subcontracting')",
            name=op.f('ck_plan_actions_kind_allowed')),
        sa.CheckConstraint("unit IN ('persons', 'hours')",
                           name=op.f('ck_plan_actions_unit_allowed')),
        sa.CheckConstraint('target > 0', name=op.f('ck_plan_actions_target_positive')),
        sa.ForeignKeyConstraint(['plan_id'], ['action_plans.id'],
                                name=op.f('fk_plan_actions_plan_id_action_plans'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_actions')),
    )
    op.create_index(op.f('ix_plan_actions_plan_id'), 'plan_actions', ['plan_id'])
    op.create_table(
        'action_realisations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('action_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('quarter', sa.Integer(), nullable=False),
        sa.Column('realised', sa.Numeric(10, 2), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reported_by_id', sa.Integer(), nullable=True),
        sa.Column('superseded_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('quarter >= 1 AND quarter <= 4',
                           name=op.f('ck_action_realisations_quarter_range')),
        sa.CheckConstraint('realised >= 0',
                           name=op.f('ck_action_realisations_realised_not_negative')),
        sa.ForeignKeyConstraint(['action_id'], ['plan_actions.id'],
                                name=op.f('fk_action_realisations_action_id_plan_actions'),
                                ondelete='CASCADE'),
        *_users('action_realisations', 'reported_by_id'),
        sa.ForeignKeyConstraint(
            ['superseded_by_id'], ['action_realisations.id'],
            name=op.f('fk_action_realisations_superseded_by_id_action_realisations'),
            ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_action_realisations')),
    )
    op.create_index('ix_action_realisations_action_quarter', 'action_realisations',
                    ['action_id', 'year', 'quarter'])
    op.create_table(
        'action_evidence',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('action_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('quarter', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('storage_key', sa.String(length=200), nullable=False),
        sa.Column('content_type', sa.String(length=50), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('supersedes_id', sa.Integer(), nullable=True),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('quarter >= 1 AND quarter <= 4',
                           name=op.f('ck_action_evidence_quarter_range')),
        sa.ForeignKeyConstraint(['action_id'], ['plan_actions.id'],
                                name=op.f('fk_action_evidence_action_id_plan_actions'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['supersedes_id'], ['action_evidence.id'],
                                name=op.f('fk_action_evidence_supersedes_id_action_evidence'),
                                ondelete='SET NULL'),
        *_users('action_evidence', 'uploaded_by_id'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_action_evidence')),
        sa.UniqueConstraint('storage_key', name=op.f('uq_action_evidence_storage_key')),
        sa.UniqueConstraint('supersedes_id', name=op.f('uq_action_evidence_supersedes_id')),
    )
    op.create_index('ix_action_evidence_action_quarter', 'action_evidence',
                    ['action_id', 'year', 'quarter'])


def downgrade():
    op.drop_table('action_evidence')
    op.drop_table('action_realisations')
    op.drop_table('plan_actions')
    op.drop_table('action_plans')
