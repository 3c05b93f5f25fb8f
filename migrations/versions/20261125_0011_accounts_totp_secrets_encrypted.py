"""accounts: TOTP secrets stored encrypted under SECRET_KEY (existing ones are encrypted here)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 00:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

credentials = sa.table(
    'totp_credentials',
    sa.column('user_id', sa.Integer()),
    sa.column('secret', sa.Text()),
)


def _rewrite(convert):
    bind = op.get_bind()
    for user_id, secret in bind.execute(sa.select(credentials.c.user_id, credentials.c.secret)).all():
        new = convert(secret)
        if new != secret:
            bind.execute(
                credentials.update().where(credentials.c.user_id == user_id).values(secret=new)
            )


def upgrade():
    from central.core.encryption import PREFIX, encrypt

    with op.batch_alter_table('totp_credentials', schema=None) as batch_op:
        batch_op.alter_column('secret', existing_type=sa.String(length=64), type_=sa.Text(), existing_nullable=False)
    _rewrite(lambda secret: secret if secret.startswith(PREFIX) else encrypt(secret))


def downgrade():
    from central.core.encryption import PREFIX, decrypt

    _rewrite(lambda secret: decrypt(secret) if secret.startswith(PREFIX) else secret)
    with op.batch_alter_table('totp_credentials', schema=None) as batch_op:
        batch_op.alter_column('secret', existing_type=sa.Text(), type_=sa.String(length=64), existing_nullable=False)
