"""The commands the app adds to its CLI (`register`, called by create_app): users, demo, jobs,
scheduler, backup and restore. The `central` console command that runs them is `central.cli`."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

DEMO_HOST = "127.0.0.1"
DEMO_PORT = 5000


def upgrade_database() -> None:
    """Create or upgrade the database to the newest migration."""
    from flask_migrate import upgrade

    upgrade(directory=current_app.extensions["migrate"].directory)


def register(app: Flask) -> None:
    from central.jobs.cli import jobs, scheduler

    app.cli.add_command(users)
    app.cli.add_command(demo)
    app.cli.add_command(jobs)
    app.cli.add_command(scheduler)
    app.cli.add_command(backup)
    app.cli.add_command(restore)


@click.group(help="Manage user accounts.")
def users() -> None:
    pass


@users.command("create", help="Create a user account.")
@click.option("--email", required=True)
@click.option(
    "--role", required=True, type=click.Choice(["admin", "coordinator", "member", "provider"])
)
@click.option("--org", "org_id", type=int, help="Organisation id (required except for admin).")
@click.option("--password", help="Password (a random one is generated and printed if omitted).")
@with_appcontext
def create_user_command(email: str, role: str, org_id: int | None, password: str | None) -> None:
    from central.accounts.models import Role
    from central.accounts.services import create_user
    from central.core.errors import DomainError
    from central.extensions import db

    if role != Role.ADMIN and org_id is None:
        raise click.UsageError("--org is required for every role but admin.")
    try:
        user, generated = create_user(
            email=email, role=role, organisation_id=org_id, password=password
        )
    except DomainError as exc:
        db.session.rollback()
        details = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
        raise click.ClickException(f"{exc.message} {details}".strip()) from None
    db.session.commit()
    click.echo(f"Created user {user.id} <{user.email}> with role {user.role}.")
    if generated:
        click.echo(f"Password: {generated}")


@users.command("token", help="Create a personal API token; prints it once, on the last line.")
@click.argument("email")
@click.option("--name", default="cli", show_default=True, help="A name for the token.")
@with_appcontext
def token_command(email: str, name: str) -> None:
    from central.accounts.services import create_token, user_by_email
    from central.extensions import db

    user = user_by_email(email)
    if user is None or not user.active:
        raise click.ClickException(f"No active user with e-mail {email}.")
    _token, secret = create_token(user, name)
    db.session.commit()
    click.echo(f"API token for {user.email} (store it now; it is not shown again):")
    click.echo(secret)


def show_mails_in_terminal() -> None:
    """Without MAIL_SERVER every mail is written to the log (central.core.mail, INFO): print
    those lines in the terminal, so the demo's mails (a password reset link) can be read."""
    mail_log = logging.getLogger("central.core.mail")
    if not any(getattr(h, "central_demo", False) for h in mail_log.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.central_demo = True
        handler.setFormatter(logging.Formatter("\n--- mail ---\n%(message)s\n------------"))
        mail_log.addHandler(handler)
    mail_log.setLevel(logging.INFO)


@click.command(help="Create or upgrade the demo database, load the Roeselare demo and serve it.")
@click.option("--host", default=DEMO_HOST, show_default=True)
@click.option("--port", default=DEMO_PORT, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Load the demo and exit without serving.")
@with_appcontext
def demo(host: str, port: int, no_serve: bool) -> None:
    from central.demo import DEMO_CASES, DEMO_LOGINS, DEMO_TOTP_SECRETS, load_demo

    app = current_app._get_current_object()
    if app.config["NAME"] == "production":
        raise click.ClickException("The demo does not run in the production configuration.")
    click.echo(f"Database: {app.config['SQLALCHEMY_DATABASE_URI']}")
    upgrade_database()
    load_demo()
    click.echo("Demo loaded. Sign in with:")
    for email, password, role in DEMO_LOGINS:
        click.echo(f"  {role:<12} {email:<36} {password}")
        if email in DEMO_CASES:
            click.echo(f"  {'':<12} shows: {DEMO_CASES[email]}")
        if email in DEMO_TOTP_SECRETS:
            click.echo(
                f"  {'':<12} two-factor secret for an authenticator app: {DEMO_TOTP_SECRETS[email]}"
            )
    if no_serve:
        return
    show_mails_in_terminal()
    click.echo("Mails are not sent in the demo: they are printed here (a password reset link too).")
    from central.jobs.scheduler import start_embedded_scheduler

    start_embedded_scheduler(app)
    click.echo("Scheduler started in this process (queued job runs start within seconds).")
    click.echo(f"Serving on http://{host}:{port}  (Ctrl+C stops)")
    sys.stdout.flush()
    # Werkzeug's server directly: `app.run()` does nothing inside a `flask` CLI command.
    run_simple(host, port, app, use_reloader=False, use_debugger=False, threaded=True)


@click.command(help="Back up the database and the file store into DEST, a new folder.")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup(dest: Path) -> None:
    from central.core import backup as backups

    try:
        manifest = backups.backup(dest)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Backed up the {manifest['database']} database (revision {manifest['revision']}) and "
        f"{manifest['files']} files ({manifest['file_bytes']} bytes) to {dest}"
    )


@click.command(
    help="Restore the backup in SRC into the configured database and file store (both empty); "
    "then run `central db upgrade`."
)
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_appcontext
def restore(src: Path) -> None:
    from central.core import backup as backups

    try:
        manifest = backups.restore(src)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Restored the {manifest['database']} database (revision {manifest['revision']}) and "
        f"{manifest['files']} files from {src}"
    )
