"""Language choice (§7.6): the session's chosen language, else the user's saved language; the API
then follows the request's `Accept-Language`; else Dutch. Every answer names its language in
`Content-Language`."""

from __future__ import annotations

from flask import Response, current_app, request, session
from flask_babel import get_locale
from flask_login import current_user

API_PREFIX = "/api/"


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if request.path.startswith(API_PREFIX):
        # An integrator's client says what it reads; pages stay Dutch first for the Flemish user.
        asked = request.accept_languages.best_match(languages)
        if asked:
            return asked
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def set_content_language(response: Response) -> Response:
    """The language of the answer's text (field names and codes stay as they are), on the API's
    answers and on pages (not on static files, which have none)."""
    if not (request.path.startswith(API_PREFIX) or response.mimetype == "text/html"):
        return response
    locale = get_locale()
    if locale is not None:
        response.headers.setdefault("Content-Language", locale.language)
    return response
