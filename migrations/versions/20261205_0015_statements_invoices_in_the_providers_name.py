"""statements: invoices in the provider's name (per-provider numbers, credit notes, payment
reference); organisations: invoice_prefix, vat_registered, iban

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 02:40:00

What happens to data already there:
- organisations get invoice_prefix 'CEN-', vat_registered true and no IBAN;
- issued statements keep their number (e.g. 2025-00012) and have no series (series_year and
  sequence stay NULL): each provider's own series starts at 1 with its first statement issued
  after this migration; the number is unique per provider instead of platform-wide;
- document_type follows each statement's total (credit_note when negative, else invoice);
- provider_vat_number is BE + the provider's enterprise number, as their invoices always said,
  and provider_iban stays empty (none was known);
- payment_reference is the structured communication of the statement's id (ten digits, the
  ids of new statements are never used: theirs are the year and the sequence number).
Issued statements stay immutable: the guard triggers are lifted only while the new columns
are filled in, and put back.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

STATEMENT_NEW_COLUMNS = (
    'provider_iban', 'provider_vat_number', 'payment_reference', 'document_type', 'sequence',
    'series_year',
)
GUARD_MESSAGE = "issued statements are immutable; record a credit instead"


def structured_communication(base):
    """+++ddd/dddd/ddddd+++: ten digits and the check digits (mod 97, 97 when 0)."""
    check = base % 97 or 97
    digits = f'{base:010d}{check:02d}'
    return f'+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++'


def _add_organisation_columns():
    # Plain ALTER TABLE ADD COLUMN on both databases; the server defaults fill existing rows.
    op.add_column(
        'organisations',
        sa.Column('invoice_prefix', sa.String(length=10), nullable=False, server_default='CEN-'),
    )
    op.add_column(
        'organisations',
        sa.Column('vat_registered', sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.add_column('organisations', sa.Column('iban', sa.String(length=34), nullable=True))


STATEMENT_CHECKS = (
    ('ck_statements_series_year_with_sequence', '(series_year IS NULL) = (sequence IS NULL)'),
    ('ck_statements_sequence_positive', 'sequence IS NULL OR sequence > 0'),
    ('ck_statements_document_type_allowed', "document_type IN ('invoice', 'credit_note')"),
    (
        'ck_statements_document_type_follows_total',
        "(document_type = 'credit_note') = (total_incl_vat < 0)",
    ),
)


def _fill(conn):
    """document_type from the total, payment_reference from the id, VAT number as printed."""
    rows = conn.execute(sa.text('SELECT id, total_incl_vat FROM statements')).all()
    for statement_id, total in rows:
        conn.execute(
            sa.text(
                'UPDATE statements SET document_type = :type, payment_reference = :reference, '
                "provider_vat_number = 'BE' || replace(provider_enterprise_number, '.', '') "
                'WHERE id = :id'
            ),
            {
                'type': 'credit_note' if total < 0 else 'invoice',
                'reference': structured_communication(statement_id),
                'id': statement_id,
            },
        )


def _upgrade_postgresql(conn):
    op.add_column('statements', sa.Column('series_year', sa.Integer(), nullable=True))
    op.add_column('statements', sa.Column('sequence', sa.Integer(), nullable=True))
    op.add_column('statements', sa.Column('document_type', sa.String(length=11), nullable=True))
    op.add_column('statements', sa.Column('payment_reference', sa.String(length=20), nullable=True))
    op.add_column('statements', sa.Column('provider_vat_number', sa.String(length=14), nullable=True))
    op.add_column('statements', sa.Column('provider_iban', sa.String(length=34), nullable=True))
    op.execute('ALTER TABLE statements DISABLE TRIGGER statements_immutable')
    _fill(conn)
    op.execute('ALTER TABLE statements ENABLE TRIGGER statements_immutable')
    op.alter_column('statements', 'document_type', nullable=False)
    op.alter_column('statements', 'payment_reference', nullable=False)
    op.drop_constraint('uq_statements_number', 'statements', type_='unique')
    op.create_unique_constraint('uq_statements_provider_number', 'statements', ['provider_id', 'number'])
    op.create_unique_constraint(
        'uq_statements_provider_series', 'statements', ['provider_id', 'series_year', 'sequence']
    )
    for name, check in STATEMENT_CHECKS:
        op.create_check_constraint(op.f(name), 'statements', check)


STATEMENT_COLUMNS = (
    'id, number, framework_id, member_id, provider_id, month, order_reference, '
    'framework_reference, member_name, member_enterprise_number, provider_name, '
    'provider_enterprise_number, total_excl_vat, vat, total_incl_vat, issued_at'
)


def _upgrade_sqlite(conn):
    """SQLite cannot drop the old UNIQUE(number): the table is rebuilt (SQLite's documented
    twelve steps), with foreign keys off meanwhile — they cannot change inside a transaction,
    so the work so far is committed first — and checked before they are on again."""
    conn.exec_driver_sql('COMMIT')
    conn.exec_driver_sql('PRAGMA foreign_keys=OFF')
    conn.exec_driver_sql('BEGIN')
    op.create_table(
        '_statements_new',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=20), nullable=False),
        sa.Column('framework_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('order_reference', sa.String(length=100), nullable=False),
        sa.Column('framework_reference', sa.String(length=50), nullable=False),
        sa.Column('member_name', sa.String(length=200), nullable=False),
        sa.Column('member_enterprise_number', sa.String(length=12), nullable=False),
        sa.Column('provider_name', sa.String(length=200), nullable=False),
        sa.Column('provider_enterprise_number', sa.String(length=12), nullable=False),
        sa.Column('total_excl_vat', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('vat', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('total_incl_vat', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('series_year', sa.Integer(), nullable=True),
        sa.Column('sequence', sa.Integer(), nullable=True),
        sa.Column('document_type', sa.String(length=11), nullable=False),
        sa.Column('payment_reference', sa.String(length=20), nullable=False),
        sa.Column('provider_vat_number', sa.String(length=14), nullable=True),
        sa.Column('provider_iban', sa.String(length=34), nullable=True),
        sa.CheckConstraint("month LIKE '____-__'", name=op.f('ck_statements_month_format')),
        *(sa.CheckConstraint(check, name=op.f(name)) for name, check in STATEMENT_CHECKS),
        sa.ForeignKeyConstraint(['framework_id'], ['frameworks.id'], name=op.f('fk_statements_framework_id_frameworks'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['member_id'], ['organisations.id'], name=op.f('fk_statements_member_id_organisations'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['provider_id'], ['organisations.id'], name=op.f('fk_statements_provider_id_organisations'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_statements')),
        sa.UniqueConstraint('framework_id', 'member_id', 'provider_id', 'month', name=op.f('uq_statements_framework_member_provider_month')),
        sa.UniqueConstraint('provider_id', 'number', name=op.f('uq_statements_provider_number')),
        sa.UniqueConstraint('provider_id', 'series_year', 'sequence', name=op.f('uq_statements_provider_series')),
    )
    rows = conn.execute(sa.text('SELECT id, total_incl_vat FROM statements')).all()
    conn.exec_driver_sql(
        f"INSERT INTO _statements_new ({STATEMENT_COLUMNS}, document_type, payment_reference) "
        f"SELECT {STATEMENT_COLUMNS}, "
        "CASE WHEN total_incl_vat < 0 THEN 'credit_note' ELSE 'invoice' END, '' FROM statements"
    )
    for statement_id, _total in rows:
        conn.execute(
            sa.text(
                'UPDATE _statements_new SET payment_reference = :reference, '
                "provider_vat_number = 'BE' || replace(provider_enterprise_number, '.', '') "
                'WHERE id = :id'
            ),
            {'reference': structured_communication(statement_id), 'id': statement_id},
        )
    for action in ('update', 'delete'):
        conn.exec_driver_sql(f'DROP TRIGGER IF EXISTS statements_no_{action}')
    conn.exec_driver_sql('DROP TABLE statements')
    conn.exec_driver_sql('ALTER TABLE _statements_new RENAME TO statements')
    op.create_index('ix_statements_framework_month', 'statements', ['framework_id', 'month'])
    op.create_index('ix_statements_member_month', 'statements', ['member_id', 'month'])
    op.create_index('ix_statements_provider_id', 'statements', ['provider_id'])
    _sqlite_guards()
    # The keys the rebuild could break: those of statements and of the rows that point at it.
    problems = [
        row
        for table in ('statements', 'statement_lines', 'credits')
        for row in conn.exec_driver_sql(f'PRAGMA foreign_key_check({table})').all()
    ]
    if problems:
        raise RuntimeError(f'foreign keys broken by the rebuild of statements: {problems}')
    conn.exec_driver_sql('COMMIT')
    conn.exec_driver_sql('PRAGMA foreign_keys=ON')
    conn.exec_driver_sql('BEGIN')


def _sqlite_guards():
    for action in ('UPDATE', 'DELETE'):
        op.execute(
            f'CREATE TRIGGER statements_no_{action.lower()} BEFORE {action} ON statements '
            f"BEGIN SELECT RAISE(ABORT, '{GUARD_MESSAGE}'); END"
        )


def upgrade():
    conn = op.get_bind()
    _add_organisation_columns()
    if conn.dialect.name == 'postgresql':
        _upgrade_postgresql(conn)
    else:
        _upgrade_sqlite(conn)


def downgrade():
    """Back to one platform-wide series: refused when two providers' numbers coincide."""
    conn = op.get_bind()
    if conn.dialect.name == 'postgresql':
        for name, _check in reversed(STATEMENT_CHECKS):
            op.drop_constraint(op.f(name), 'statements', type_='check')
        op.drop_constraint('uq_statements_provider_series', 'statements', type_='unique')
        op.drop_constraint('uq_statements_provider_number', 'statements', type_='unique')
        op.create_unique_constraint('uq_statements_number', 'statements', ['number'])
        for column in STATEMENT_NEW_COLUMNS:
            op.drop_column('statements', column)
    else:
        conn.exec_driver_sql('COMMIT')
        conn.exec_driver_sql('PRAGMA foreign_keys=OFF')
        conn.exec_driver_sql('BEGIN')
        for action in ('update', 'delete'):
            conn.exec_driver_sql(f'DROP TRIGGER IF EXISTS statements_no_{action}')
        with op.batch_alter_table('statements', schema=None, recreate='always') as batch_op:
            for name, _check in reversed(STATEMENT_CHECKS):
                batch_op.drop_constraint(op.f(name), type_='check')
            batch_op.drop_constraint(op.f('uq_statements_provider_series'), type_='unique')
            batch_op.drop_constraint(op.f('uq_statements_provider_number'), type_='unique')
            batch_op.create_unique_constraint(op.f('uq_statements_number'), ['number'])
            for column in STATEMENT_NEW_COLUMNS:
                batch_op.drop_column(column)
        _sqlite_guards()
        conn.exec_driver_sql('COMMIT')
        conn.exec_driver_sql('PRAGMA foreign_keys=ON')
        conn.exec_driver_sql('BEGIN')
    # Plain ALTER TABLE DROP COLUMN (SQLite 3.35+): a batch copy would drop a table others
    # reference.
    for column in ('iban', 'vat_registered', 'invoice_prefix'):
        op.drop_column('organisations', column)
