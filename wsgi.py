"""WSGI entry point for gunicorn: `gunicorn wsgi:app`.

Production unless CENTRAL_CONFIG names another configuration, and never on a missing or publicly
known secret key (whatever the configuration): with one, anyone could forge a session cookie.
"""

import os

from central import create_app
from config import refuse_known_secret_key

app = create_app(os.environ.get("CENTRAL_CONFIG") or "production")
refuse_known_secret_key(app.config)
