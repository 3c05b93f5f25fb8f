"""accounts: TOTP secrets stored encrypted under SECRET_KEY (existing ones are encrypted here)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 00:05:00

"""
import base64

from alembic import op
import sqlalchemy as sa
from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


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


# The encryption as central.core.encryption did it at this revision, frozen here so that the
# migration never changes with the app's code: Fernet under an HKDF-SHA256 key from SECRET_KEY.
PREFIX = 'fernet:'
INFO = b'central: secrets stored in the database'


def _cipher():
    config = current_app.config
    keys = (config['SECRET_KEY'], *(config.get('SECRET_KEY_FALLBACKS') or ()))
    fernets = []
    for key in keys:
        if key:
            raw = key.encode() if isinstance(key, str) else key
            derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(raw)
            fernets.append(Fernet(base64.urlsafe_b64encode(derived)))
    return MultiFernet(fernets)


def encrypt(value):
    return PREFIX + _cipher().encrypt(value.encode()).decode('ascii')


def decrypt(stored):
    return _cipher().decrypt(stored[len(PREFIX):].encode()).decode()


def _rewrite(convert):
    bind = op.get_bind()
    for user_id, secret in bind.execute(sa.select(credentials.c.user_id, credentials.c.secret)).all():
        new = convert(secret)
        if new != secret:
            bind.execute(
                credentials.update().where(credentials.c.user_id == user_id).values(secret=new)
            )


def upgrade():
    with op.batch_alter_table('totp_credentials', schema=None) as batch_op:
        batch_op.alter_column('secret', existing_type=sa.String(length=64), type_=sa.Text(), existing_nullable=False)
    _rewrite(lambda secret: secret if secret.startswith(PREFIX) else encrypt(secret))


def downgrade():
    _rewrite(lambda secret: decrypt(secret) if secret.startswith(PREFIX) else secret)
    with op.batch_alter_table('totp_credentials', schema=None) as batch_op:
        batch_op.alter_column('secret', existing_type=sa.Text(), type_=sa.String(length=64), existing_nullable=False)
