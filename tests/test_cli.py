"""The `central` command line: users create, users token, and the idempotent demo."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from central import PROJECT_ROOT
from central.accounts.models import ApiToken, User
from central.core.security import hash_token
from central.organisations.models import Organisation
from tests.factories import make_org, make_user


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args: str):
        return runner.invoke(args=list(args))

    return invoke


def test_users_create_an_admin_without_organisation_prints_a_generated_password(cli, db, client):
    result = cli("users", "create", "--email", "Root@Example.org", "--role", "admin")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "root@example.org"))
    assert user is not None and user.role == "admin" and user.organisation_id is None
    password = result.output.strip().splitlines()[-1].removeprefix("Password: ")
    assert password and password in result.output
    from tests.conftest import csrf_token

    response = client.post(
        "/login",
        data={"email": "root@example.org", "password": password, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302


def test_users_create_a_member_without_org_is_a_usage_error(cli, db):
    before = db.session.scalar(select(func.count(User.id)))
    result = cli("users", "create", "--email", "m@example.org", "--role", "member")
    assert result.exit_code == 2
    assert "--org is required" in result.output
    assert db.session.scalar(select(func.count(User.id))) == before


def test_users_create_a_member_with_org_and_password(cli, db):
    org = make_org()
    db.session.commit()
    result = cli(
        "users",
        "create",
        "--email",
        "m@example.org",
        "--role",
        "member",
        "--org",
        str(org.id),
        "--password",
        "a-good-long-password",
    )
    assert result.exit_code == 0, result.output
    assert "Password:" not in result.output
    user = db.session.scalar(select(User).where(User.email == "m@example.org"))
    assert user.organisation_id == org.id


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "provider", "--org", "{authority}"], "kind provider"),
        (["--role", "member", "--org", "999999"], "does not exist"),
        (["--role", "admin", "--password", "short"], "at least 10"),
        (["--role", "admin", "--email", "not-an-address"], "valid e-mail"),
    ],
)
def test_users_create_with_bad_input_says_why_and_writes_nothing(cli, db, args, message):
    org = make_org("authority")
    db.session.commit()
    before = db.session.scalar(select(func.count(User.id)))
    args = [a.replace("{authority}", str(org.id)) for a in args]
    if "--email" not in args:
        args = ["--email", "x@example.org", *args]
    result = cli("users", "create", *args)
    assert result.exit_code == 1
    assert message in result.output
    assert db.session.scalar(select(func.count(User.id))) == before


def test_users_create_refuses_a_duplicate_email(cli, db):
    make_user("admin", email="dup@example.org")
    db.session.commit()
    result = cli("users", "create", "--email", "DUP@example.org", "--role", "admin")
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_users_token_prints_a_working_token_on_the_last_line(cli, db, client):
    user = make_user("member")
    db.session.commit()
    result = cli("users", "token", user.email)
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    # Only the hash is stored.
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert token.token_hash == hash_token(secret) and secret not in token.token_hash
    response = client.get(
        f"/api/v1/organisations/{user.organisation_id}",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 200


def test_users_token_for_an_unknown_or_inactive_user_fails(cli, db):
    user = make_user("member", active=False)
    db.session.commit()
    assert cli("users", "token", "nobody@example.org").exit_code == 1
    result = cli("users", "token", user.email)
    assert result.exit_code == 1 and "No active user" in result.output


def _central(instance: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
    # This checkout's code, even where the installed `central` command points at another one.
    env.update(
        CENTRAL_INSTANCE_PATH=str(instance),
        CENTRAL_CONFIG="development",
        PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")])),
    )
    central = shutil.which("central", path=str(Path(sys.executable).parent))
    assert central, "the `central` console script is not installed next to this Python"
    return subprocess.run(
        [central, *args],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _counts(database: Path) -> dict[str, int]:
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            tables = sa.inspect(conn).get_table_names()
            return {
                t: conn.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar_one()  # noqa: S608
                for t in tables
                if t not in ("alembic_version", "audit_events", "job_runs", "job_locks")
            }
    finally:
        engine.dispose()


def test_demo_without_serving_is_idempotent(tmp_path):
    """`central demo` creates the SQLite database under the instance folder; twice is safe."""
    first = _central(tmp_path, "demo", "--no-serve")
    assert first.returncode == 0, first.stdout + first.stderr
    database = tmp_path / "central.sqlite"
    assert database.exists()
    counts = _counts(database)
    # Roeselare, its eleven members, two providers, a fire zone and a water company.
    assert counts["organisations"] == 16
    assert counts["users"] >= 6
    for role in ("admin", "coordinator", "member", "provider", "viewer"):
        assert role in first.stdout
    from central.demo import DEMO_TOTP_SECRETS

    for secret in DEMO_TOTP_SECRETS.values():
        assert secret in first.stdout  # the two-factor secrets to type into an app
    second = _central(tmp_path, "demo", "--no-serve")
    assert second.returncode == 0, second.stdout + second.stderr
    assert _counts(database) == counts


def test_demo_serves_a_dutch_login_page(tmp_path):
    """`central demo` loads the demo and serves it (one process, no reloader) until stopped."""
    import socket
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
    env.update(
        CENTRAL_INSTANCE_PATH=str(tmp_path),
        CENTRAL_CONFIG="development",
        PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")])),
    )
    central = shutil.which("central", path=str(Path(sys.executable).parent))
    server = subprocess.Popen(
        [central, "demo", "--port", str(port)],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        html = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as page:
                    html = page.read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert html is not None, "the demo server did not answer"
        assert '<html lang="nl">' in html
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert "admin@central.example" in output


def test_the_demo_logins_work(db, client):
    """Admin and coordinator sign in with a code from the printed two-factor secret."""
    import pyotp

    from central.demo import DEMO_LOGINS, DEMO_TOTP_SECRETS, load_demo
    from tests.conftest import csrf_token

    load_demo()
    lead = db.session.scalar(select(Organisation).where(Organisation.name == "Stad Roeselare"))
    assert lead is not None and lead.kind == "authority" and lead.nis_code == "36015"
    for email, password, role in DEMO_LOGINS:
        response = client.post(
            "/login", data={"email": email, "password": password, "csrf_token": csrf_token(client)}
        )
        assert response.status_code == 302, (role, response.get_data(as_text=True)[:500])
        if role in ("admin", "coordinator"):
            assert response.headers["Location"] == "/login/code"
            code = pyotp.TOTP(DEMO_TOTP_SECRETS[email]).now()
            response = client.post(
                "/login/code", data={"code": code, "csrf_token": csrf_token(client)}
            )
            assert response.status_code == 302, (role, response.get_data(as_text=True)[:500])
        assert response.headers["Location"] == "/"
        user = db.session.scalar(select(User).where(User.email == email))
        assert user.role == role
        client.post("/logout", data={"csrf_token": csrf_token(client)})


def test_the_demo_prints_its_mails_so_a_reset_link_can_be_read(app, capsys):
    """The demo has no MAIL_SERVER: a password reset mail must show in the terminal."""
    from central.cli import show_mails_in_terminal
    from central.core.mail import send_mail

    mail_log = logging.getLogger("central.core.mail")
    level, handlers = mail_log.level, list(mail_log.handlers)
    try:
        show_mails_in_terminal()
        show_mails_in_terminal()  # once is enough: no line printed twice
        with app.app_context():
            send_mail("member@izegem.example", "Reset your password", "Open /reset/abc123 now")
        printed = capsys.readouterr().err
    finally:
        mail_log.handlers[:] = handlers
        mail_log.setLevel(level)
    assert "Reset your password" in printed and "/reset/abc123" in printed
    assert printed.count("/reset/abc123") == 1
