"""The file store: photos, uploads and other files kept outside the database, under keys that
Central makes (never from user input), in a local folder (`STORAGE_DIR`, the default) or in
S3-compatible object storage (`STORAGE_URL=s3://bucket/prefix`; endpoint, region and credentials
from the environment, as boto3 reads them: `AWS_ENDPOINT_URL`, `AWS_DEFAULT_REGION`,
`AWS_ACCESS_KEY_ID`, ...). Files are never public: the app serves them, after its reach checks,
through `Storage.response`.

A file written with `store()` inside a transaction is removed again if that transaction rolls
back, so that a failed write leaves no file without its row.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, send_file
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

# Our keys: folders and names of letters, digits, dots, dashes and underscores; no `..`.
KEY_PATTERN = re.compile(r"(?!.*\.\.)[A-Za-z0-9_-][A-Za-z0-9_./-]{0,500}")
NEW_FILES = "storage_new_files"  # session.info: files written in the open transaction
STREAM_CHUNK = 64 * 1024


class FileMissing(LookupError):
    """No file is stored under the key."""


@dataclass(frozen=True)
class StoredFile:
    key: str
    size: int
    modified_at: datetime


def check_key(key: str) -> str:
    if not KEY_PATTERN.fullmatch(key) or key.endswith("/"):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class Storage(ABC):
    """Where files live. Keys are relative names such as `photos/2026/05/<uuid>.jpg`."""

    @abstractmethod
    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """Store `data` under `key`, replacing what was there (atomically for readers)."""

    @abstractmethod
    def get(self, key: str) -> bytes:
        """The file's bytes; FileMissing if there is none."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def delete(self, key: str) -> bool:
        """Remove the file; False if there was none."""

    @abstractmethod
    def list(self, prefix: str = "") -> Iterator[StoredFile]:
        """Every file whose key starts with `prefix`, in key order."""

    @abstractmethod
    def response(self, key: str, mimetype: str) -> Response:
        """The file as an HTTP response streamed through the app (call it after the reach
        check); FileMissing if there is none."""

    @abstractmethod
    def describe(self) -> str:
        """Where the files are, for operators (no credentials)."""


class LocalStorage(Storage):
    """Files in a folder (a shared volume when several web hosts serve Central)."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root).resolve()

    def path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"not a storage key: {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.part")
        temporary.write_bytes(data)
        os.replace(temporary, path)

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            raise FileMissing(key) from None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> bool:
        try:
            self.path(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def list(self, prefix: str = "") -> Iterator[StoredFile]:
        # Walk only the folder the prefix names (imports/ is not slowed down by years of photos).
        folder = self.root / prefix.rpartition("/")[0] if prefix else self.root
        if not folder.is_dir() or not folder.resolve().is_relative_to(self.root):
            return
        found = []
        for path in folder.rglob("*"):
            key = path.relative_to(self.root).as_posix()
            if path.is_file() and key.startswith(prefix) and not path.name.startswith("."):
                stat = path.stat()
                found.append(
                    StoredFile(key, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))
                )
        yield from sorted(found, key=lambda stored: stored.key)

    def response(self, key: str, mimetype: str) -> Response:
        path = self.path(key)
        if not path.is_file():
            raise FileMissing(key)
        return send_file(path, mimetype=mimetype, max_age=0)

    def describe(self) -> str:
        return str(self.root)


class S3Storage(Storage):
    """Objects in an S3-compatible bucket under a prefix; the bucket stays private."""

    def __init__(self, bucket: str, prefix: str = "", client: Any = None):
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            # Endpoint, region and credentials from the environment (boto3's own variables).
            self._client = boto3.client("s3")
        return self._client

    def object_key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _is_missing(self, error: Exception) -> bool:
        code = getattr(error, "response", {}).get("Error", {}).get("Code")
        return code in ("NoSuchKey", "404", "NotFound")

    def _get_object(self, key: str) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as error:
            if self._is_missing(error):
                raise FileMissing(key) from None
            raise

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=self.object_key(key), Body=data, ContentType=content_type
        )

    def get(self, key: str) -> bytes:
        body = self._get_object(key)["Body"]
        with contextlib.closing(body):
            return body.read()

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as error:
            if self._is_missing(error):
                return False
            raise
        return True

    def delete(self, key: str) -> bool:
        # S3 deletes a missing object without complaint: ask first, for the caller's count.
        if not self.exists(key):
            return False
        self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))
        return True

    def list(self, prefix: str = "") -> Iterator[StoredFile]:
        start = f"{self.prefix}/" if self.prefix else ""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=start + prefix):
            for item in page.get("Contents", []):
                yield StoredFile(
                    item["Key"][len(start) :],
                    item["Size"],
                    item["LastModified"].astimezone(UTC),
                )

    def response(self, key: str, mimetype: str) -> Response:
        found = self._get_object(key)
        body = found["Body"]
        response = Response(
            body.iter_chunks(STREAM_CHUNK), mimetype=mimetype, direct_passthrough=True
        )
        response.content_length = found["ContentLength"]
        response.call_on_close(body.close)
        return response

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def from_settings(storage_url: str | None, storage_dir: str) -> Storage:
    """The store that STORAGE_URL names (`s3://bucket/prefix`, `file:///path`), else the folder
    STORAGE_DIR."""
    if not storage_url:
        return LocalStorage(storage_dir)
    parts = urlsplit(storage_url)
    if parts.scheme == "s3" and parts.netloc:
        return S3Storage(parts.netloc, parts.path)
    if parts.scheme == "file" and parts.path:
        return LocalStorage(parts.path)
    raise RuntimeError(
        f"STORAGE_URL must be s3://bucket/prefix or file:///path, not {storage_url!r}"
    )


def init_app(app: Flask) -> None:
    app.extensions["storage"] = from_settings(
        app.config.get("STORAGE_URL"), app.config["STORAGE_DIR"]
    )


def current_storage() -> Storage:
    return current_app.extensions["storage"]


def store(session: Session, key: str, data: bytes, content_type: str) -> None:
    """Store a file that a row of the open transaction refers to; a rollback removes it."""
    storage = current_storage()
    storage.put(key, data, content_type)
    session.info.setdefault(NEW_FILES, []).append((storage, key))


@event.listens_for(Session, "after_commit")
def _keep_committed_files(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(NEW_FILES, None)


@event.listens_for(Session, "after_soft_rollback")
def _drop_uncommitted_files(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is not None or previous_transaction.nested:
        return
    for storage, key in session.info.pop(NEW_FILES, []):
        try:
            storage.delete(key)
        except Exception as exc:  # the store is unreachable: an orphan file, not a lost row
            log.warning("Could not remove %s after a rollback: %s", key, exc)
