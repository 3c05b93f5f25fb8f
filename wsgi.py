"""WSGI entry point for gunicorn: `gunicorn wsgi:app`."""

from central import create_app

app = create_app()
