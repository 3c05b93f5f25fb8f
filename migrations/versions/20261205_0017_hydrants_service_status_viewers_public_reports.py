"""hydrants: service status and its history, fire zones and water companies with viewers,
public report tokens and public needs

Existing assets start `unknown` (nothing was ever recorded about their availability; the next
`ok` result or the member's repair says `in_service`) and each gets its own public token.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 02:40:00

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

# (table, old CHECK body, new CHECK body, constraint name): allowed values that widen.
WIDENED = (
    ('organisations', "kind IN ('authority', 'provider')",
     "kind IN ('authority', 'provider', 'fire_zone', 'water_company')",
     'ck_organisations_kind_allowed'),
    ('users', "role IN ('admin', 'coordinator', 'member', 'provider')",
     "role IN ('admin', 'coordinator', 'member', 'provider', 'viewer')",
     'ck_users_role_allowed'),
    ('needs', "source IN ('member', 'defect')", "source IN ('member', 'defect', 'public')",
     'ck_needs_source_allowed'),
)
SERVICE_STATUS_CHECK = "service_status IN ('in_service', 'out_of_service', 'unknown')"


def _rewrite_sqlite_checks(pairs):
    """SQLite cannot alter a CHECK: rewrite the stored table definition instead (the documented
    writable_schema procedure, safe for a CHECK that only allows more values), without copying
    tables that others reference."""
    bind = op.get_bind()
    version = bind.exec_driver_sql('PRAGMA schema_version').scalar()
    bind.exec_driver_sql('PRAGMA writable_schema=ON')
    for table, old, new in pairs:
        bind.execute(
            sa.text(
                "UPDATE sqlite_master SET sql = replace(sql, :old, :new) "
                "WHERE type = 'table' AND name = :table"
            ),
            {'old': old, 'new': new, 'table': table},
        )
    bind.exec_driver_sql(f'PRAGMA schema_version={version + 1}')
    bind.exec_driver_sql('PRAGMA writable_schema=OFF')


def _fill_public_tokens():
    bind = op.get_bind()
    ids = bind.execute(sa.text('SELECT id FROM assets ORDER BY id')).scalars().all()
    for start in range(0, len(ids), 1000):
        bind.execute(
            sa.text('UPDATE assets SET public_token = :token WHERE id = :id'),
            [{'id': i, 'token': secrets.token_urlsafe(24)} for i in ids[start:start + 1000]],
        )


def upgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        _rewrite_sqlite_checks([(t, old, new) for t, old, new, _name in WIDENED])
        # Columns are added in place with their CHECK (a batch copy would drop and rename
        # tables that others reference, with foreign keys on).
        op.execute(
            "ALTER TABLE assets ADD COLUMN service_status VARCHAR(14) DEFAULT 'unknown' NOT NULL "
            f"CONSTRAINT ck_assets_service_status_allowed CHECK ({SERVICE_STATUS_CHECK})"
        )
        op.execute("ALTER TABLE assets ADD COLUMN public_token VARCHAR(64) DEFAULT '' NOT NULL")
        for column, name in (('fire_zone_id', 'fire_zone'), ('water_company_id', 'water_company')):
            op.execute(
                f'ALTER TABLE organisations ADD COLUMN {column} INTEGER '
                'REFERENCES organisations (id) '
                f'CONSTRAINT ck_organisations_{name}_only_authority '
                f"CHECK ({column} IS NULL OR kind = 'authority')"
            )
    else:
        for table, _old, new, name in WIDENED:
            op.drop_constraint(op.f(name), table, type_='check')
            op.create_check_constraint(op.f(name), table, new)
        op.alter_column(
            'organisations', 'kind', existing_type=sa.String(length=9),
            type_=sa.String(length=13), existing_nullable=False,
        )
        op.add_column('assets', sa.Column(
            'service_status', sa.String(length=14), server_default='unknown', nullable=False
        ))
        op.create_check_constraint(
            op.f('ck_assets_service_status_allowed'), 'assets', SERVICE_STATUS_CHECK
        )
        op.add_column('assets', sa.Column('public_token', sa.String(length=64), nullable=True))
        for column, name in (('fire_zone_id', 'fire_zone'), ('water_company_id', 'water_company')):
            op.add_column('organisations', sa.Column(column, sa.Integer(), nullable=True))
            op.create_foreign_key(
                op.f(f'fk_organisations_{column}_organisations'), 'organisations', 'organisations',
                [column], ['id'],
            )
            op.create_check_constraint(
                op.f(f'ck_organisations_{name}_only_authority'), 'organisations',
                f"{column} IS NULL OR kind = 'authority'",
            )
    _fill_public_tokens()
    if not sqlite:
        op.alter_column('assets', 'public_token', existing_type=sa.String(length=64),
                        nullable=False)
    op.create_index('uq_assets_public_token', 'assets', ['public_token'], unique=True)
    op.create_index(
        'ix_assets_member_service_status', 'assets', ['member_id', 'service_status']
    )
    op.create_index('ix_organisations_fire_zone_id', 'organisations', ['fire_zone_id'])
    op.create_index('ix_organisations_water_company_id', 'organisations', ['water_company_id'])
    op.add_column('needs', sa.Column('reporter_email', sa.String(length=254), nullable=True))
    op.add_column('needs', sa.Column('photo_key', sa.String(length=200), nullable=True))
    op.create_table(
        'asset_status_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('asset_id', sa.Integer(), nullable=False),
        sa.Column('from_status', sa.String(length=14), nullable=False),
        sa.Column('to_status', sa.String(length=14), nullable=False),
        sa.Column('reason', sa.String(length=13), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=True),
        sa.Column('need_id', sa.Integer(), nullable=True),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "from_status IN ('in_service', 'out_of_service', 'unknown')",
            name=op.f('ck_asset_status_changes_from_status_allowed'),
        ),
        sa.CheckConstraint(
            "to_status IN ('in_service', 'out_of_service', 'unknown')",
            name=op.f('ck_asset_status_changes_to_status_allowed'),
        ),
        sa.CheckConstraint(
            "reason IN ('task', 'repair', 'public_report', 'member')",
            name=op.f('ck_asset_status_changes_reason_allowed'),
        ),
        sa.CheckConstraint(
            'from_status <> to_status', name=op.f('ck_asset_status_changes_status_changes')
        ),
        sa.CheckConstraint(
            "reason <> 'task' OR task_id IS NOT NULL",
            name=op.f('ck_asset_status_changes_task_change_has_task'),
        ),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'],
                                name=op.f('fk_asset_status_changes_actor_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['asset_id'], ['assets.id'],
                                name=op.f('fk_asset_status_changes_asset_id_assets'),
                                ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['need_id'], ['needs.id'],
                                name=op.f('fk_asset_status_changes_need_id_needs'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['task_id'], ['tasks.id'],
                                name=op.f('fk_asset_status_changes_task_id_tasks'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_status_changes')),
    )
    op.create_index('ix_asset_status_changes_asset_changed', 'asset_status_changes',
                    ['asset_id', 'changed_at'])


def downgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    op.drop_index('ix_asset_status_changes_asset_changed', table_name='asset_status_changes')
    op.drop_table('asset_status_changes')
    op.drop_column('needs', 'photo_key')
    op.drop_column('needs', 'reporter_email')
    op.drop_index('ix_organisations_water_company_id', table_name='organisations')
    op.drop_index('ix_organisations_fire_zone_id', table_name='organisations')
    op.drop_index('ix_assets_member_service_status', table_name='assets')
    op.drop_index('uq_assets_public_token', table_name='assets')
    if not sqlite:
        for column, name in (('fire_zone_id', 'fire_zone'), ('water_company_id', 'water_company')):
            op.drop_constraint(op.f(f'ck_organisations_{name}_only_authority'), 'organisations',
                               type_='check')
            op.drop_constraint(op.f(f'fk_organisations_{column}_organisations'), 'organisations',
                               type_='foreignkey')
        op.drop_constraint(op.f('ck_assets_service_status_allowed'), 'assets', type_='check')
    op.drop_column('organisations', 'water_company_id')
    op.drop_column('organisations', 'fire_zone_id')
    op.drop_column('assets', 'public_token')
    op.drop_column('assets', 'service_status')
    if sqlite:
        _rewrite_sqlite_checks([(t, new, old) for t, old, new, _name in WIDENED])
    else:
        op.alter_column(
            'organisations', 'kind', existing_type=sa.String(length=13),
            type_=sa.String(length=9), existing_nullable=False,
        )
        for table, old, _new, name in WIDENED:
            op.drop_constraint(op.f(name), table, type_='check')
            op.create_check_constraint(op.f(name), table, old)
