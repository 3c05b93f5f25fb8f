"""Test fixtures: the app on a migrated database (SQLite, or TEST_DATABASE_URL), one rolled-back
transaction per test, clients and sign-in helpers."""

from __future__ import annotations

import email
import email.policy
import os
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FlaskSession

from central import create_app
from central.cli import upgrade_database
from central.extensions import db as _db


class BoundSession(FlaskSession):
    """Flask-SQLAlchemy's session, bound to the test's connection instead of the engine."""

    def get_bind(self, *args, **kwargs):
        return self.bind


def _reset_schema(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'central-test.sqlite'}"
    return url


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory) -> Iterator[Flask]:
    """The app, its database built by running the migrations (so they are tested too)."""
    _reset_schema(database_url)
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=database_url,
        STORAGE_DIR=str(tmp_path_factory.mktemp("storage")),
        SERVER_NAME="central.test",
    )
    with app.app_context():
        upgrade_database()
    yield app
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture(autouse=True)
def db(app) -> Iterator:
    """Each test runs inside one transaction that is rolled back at the end; commits in the code
    under test only release savepoints."""
    with app.app_context():
        connection = _db.engine.connect()
        outer = connection.begin()
        original = _db.session
        _db.session = _db._make_scoped_session(
            {
                "bind": connection,
                "class_": BoundSession,
                "join_transaction_mode": "create_savepoint",
            }
        )
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session = original
            outer.rollback()
            connection.close()


class RequestClient(FlaskClient):
    """A test client whose every request runs in a fresh app context, as in production.

    Without it the test's app context is reused, so `g` (the signed-in user, the CSRF token) leaks
    from one request into the next, and a request's rollback would undo the test's own data. Each
    request gets its own session on the test's connection; the test's session is flushed before
    and expired after, so that the test sees what the request wrote.
    """

    def open(self, *args, **kwargs):
        _db.session.flush()
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        _db.session.expire_all()
        return response


@pytest.fixture
def client(app) -> FlaskClient:
    app.test_client_class = RequestClient
    return app.test_client()


def csrf_token(client: FlaskClient) -> str:
    """The session's CSRF token, as a page shows it."""
    page = client.get("/accessibility").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def use_english(client: FlaskClient) -> FlaskClient:
    """Switch the client's session to English (the UI is Dutch by default)."""
    response = client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    return client


@pytest.fixture
def login_as(client):
    """Sign the test client in as `user` (through the real sign-in form)."""

    def _login(user, password: str = "correct horse battery") -> FlaskClient:
        response = client.post(
            "/login",
            data={"email": user.email, "password": password, "csrf_token": csrf_token(client)},
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        if response.headers["Location"].startswith(("/login/code", "/login/enrol")):
            _second_factor(client, user, response.headers["Location"])
        return client

    return _login


def _second_factor(client: FlaskClient, user, location: str) -> None:
    """Admins and coordinators: set up the app on first sign-in, then enter a fresh code."""
    from tests.factories import next_totp_code

    if location.startswith("/login/enrol"):
        assert client.get(location).status_code == 200  # makes the secret to confirm
    response = client.post(
        location, data={"code": next_totp_code(user), "csrf_token": csrf_token(client)}
    )
    assert response.status_code in (200, 302), response.get_data(as_text=True)[:2000]


@dataclass
class SmtpInbox:
    """The mails a test SMTP server received, parsed."""

    host: str
    port: int
    messages: list[email.message.EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's name
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(app, monkeypatch) -> Iterator[SmtpInbox]:
    """A real SMTP server on loopback (aiosmtpd); the app sends its mail there for this test."""
    from aiosmtpd.controller import Controller

    inbox = SmtpInbox(host="127.0.0.1", port=_free_port())
    controller = Controller(inbox, hostname=inbox.host, port=inbox.port)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", inbox.host)
    monkeypatch.setitem(app.config, "MAIL_PORT", inbox.port)
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """A local S3-compatible server (moto's server mode) on a free loopback port; its URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


_buckets = iter(range(1, 10**6))


def new_file_store(request, monkeypatch, folder, kind: str):
    """An empty file store: a local folder, or a new bucket on the local S3 server configured as
    operators do (STORAGE_URL plus boto3's environment variables)."""
    from central.core import storage

    if kind == "local":
        return storage.from_settings(None, str(folder))
    import boto3

    monkeypatch.setenv("AWS_ENDPOINT_URL", request.getfixturevalue("s3_server"))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "central-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "central-test-secret")
    bucket = f"central-test-{os.getpid()}-{next(_buckets)}"
    boto3.client("s3").create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    return storage.from_settings(f"s3://{bucket}/photos-store", "unused")


@pytest.fixture(params=["local", "s3"])
def file_store(request, app, monkeypatch, tmp_path):
    """The app's file store for one test, as a local folder and as an S3 bucket: the tests that
    take it run against both backends."""
    store = new_file_store(request, monkeypatch, tmp_path / "files", request.param)
    monkeypatch.setitem(app.extensions, "storage", store)
    return store
