"""The `central` command group: run, db, users, demo, jobs, scheduler, backup and restore.

It builds the app (`central.create_app`), which adds its commands (`central.commands`)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup

from central.commands import show_mails_in_terminal, upgrade_database  # noqa: F401 (re-exported)


def _create_app() -> Flask:
    from central import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Central: joint purchasing for a purchasing central and its social-economy providers."""
