"""`Idempotency-Key` for writes a phone may retry (task results, labour, photos; SPEC section 5).

The same key with the same request (method, path and body) stores once and answers the first
answer again; the same key with another request answers 422. Keys are scoped per user. Only
successful answers are stored, in the same transaction as the write they answer, so a stored
answer always means the write happened. Two requests racing on one key: the unique constraint
lets one commit; the other rolls back and replays the stored answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Response, request
from marshmallow import Schema
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from central.core.errors import N_, DomainError, ValidationError
from central.core.types import utcnow
from central.extensions import db
from central.fieldwork.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
RETENTION = timedelta(days=30)  # a phone offline for longer sends its queue as new requests


class IdempotencyKeyReused(DomainError):
    """The key was used before for another request (422)."""

    status = 422
    code = "idempotency_key_reused"


def request_key() -> str | None:
    """The request's Idempotency-Key, checked; None without one."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationError(
            N_("The Idempotency-Key header is 1 to 255 printable characters."),
            fields={HEADER: N_("Invalid key.")},
        )
    return key


def request_fingerprint(extra: bytes = b"") -> str:
    """sha256 of the method, the path and the body: a JSON body in canonical form (so that key
    order and spacing do not matter), otherwise the raw bytes plus `extra` (an upload's file)."""
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    data = request.get_json(silent=True) if request.is_json else None
    if data is not None:
        digest.update(json.dumps(data, sort_keys=True, separators=(",", ":")).encode())
    else:
        digest.update(extra)
    return digest.hexdigest()


def _stored(user_id: int, key: str) -> IdempotencyRecord | None:
    return db.session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
        )
    )


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            N_("This Idempotency-Key was already used for another request."),
            fields={HEADER: N_("Use a new key for a new request.")},
        )
    response = Response(record.body, status=record.status_code, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response


def respond(
    user: Any,
    write: Callable[[], tuple[Any, int]],
    schema: type[Schema],
    *,
    fingerprint_extra: bytes = b"",
) -> Response:
    """Run `write` (a service call that flushes; returns the object and the status) once per
    key, commit, and answer with the object dumped by `schema`."""
    key = request_key()
    fingerprint = request_fingerprint(fingerprint_extra) if key else ""
    if key is not None:
        record = _stored(user.id, key)
        if record is not None:
            return _replay(record, fingerprint)
    obj, status = write()
    body = json.dumps(schema().dump(obj))
    if key is not None:
        try:
            with db.session.begin_nested():
                db.session.add(
                    IdempotencyRecord(
                        user_id=user.id,
                        key=key,
                        fingerprint=fingerprint,
                        status_code=status,
                        body=body,
                        created_at=utcnow(),
                    )
                )
        except IntegrityError:
            # Another request with this key committed first: undo this one, answer as it did.
            db.session.rollback()
            record = _stored(user.id, key)
            if record is None:
                raise
            return _replay(record, fingerprint)
    db.session.commit()
    return Response(body, status=status, mimetype="application/json")


def purge_expired(now) -> int:
    """Remove stored answers older than the retention; returns how many."""
    return db.session.execute(
        delete(IdempotencyRecord)
        .where(IdempotencyRecord.created_at < now - RETENTION)
        .execution_options(synchronize_session=False)
    ).rowcount
