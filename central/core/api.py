"""The JSON API `/api/v1` on flask-smorest: authentication, errors, validation, pagination and the
OpenAPI document.

An endpoint is a function in `<domain>/api.py` registered with flask-smorest's decorators on the
one blueprint `api`: `@api.route(path, methods=[...], tags=[...])`, `@api.arguments(Schema)` for
the JSON body (`location="query"` for the query string), `@api.response(status, Schema)` and
`@api.paginate()` for lists. Its docstring is its summary; its operation id (and endpoint) is
`<domain>_<function>`. The OpenAPI document is generated from exactly the routes that exist.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from datetime import timedelta
from typing import Any

import flask
import flask_smorest
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import Flask, Response, current_app, g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest.pagination import PaginationParameters
from flask_smorest.spec.plugins import FlaskPlugin
from marshmallow import Schema
from marshmallow import ValidationError as SchemaError
from marshmallow import fields as ma_fields
from sqlalchemy import Select
from sqlalchemy.exc import OperationalError
from webargs.flaskparser import FlaskParser
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, UnicodeConverter

from central.core.exceptions import N_, DomainError
from central.core.pagination import DEFAULT_PER_PAGE, MAX_PER_PAGE, paginate
from central.core.security import find_api_token
from central.core.types import utcnow
from central.extensions import csrf, db

API_PREFIX = "/api/v1"

# Who may call an operation (its OpenAPI `security`): a Bearer token or the browser session; a
# public operation (`@api.doc(security=PUBLIC)`) needs neither.
SIGNED_IN: list[dict[str, list]] = [{"bearer": []}, {"session": []}]
PUBLIC: list[dict[str, list]] = [{}, *SIGNED_IN]

ERROR_REF = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_ERRORS = {
    "400": "Invalid input",
    "401": "Not authenticated",
    "403": "Not allowed for this role",
    "404": "Absent or outside your reach",
    "409": "Conflicts with the current state",
    "503": "The database is briefly unavailable; try again (see Retry-After)",
}

# A multipart upload's body: one file.
UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        }
    },
}


def answers(status: int, *media_types: str) -> dict[int, dict[str, Any]]:
    """The documented success answer of an operation that has no response schema (a file, free
    JSON), for `@api.doc(responses=answers(200, "text/csv"))`."""
    return {status: {"content": {media_type: {"schema": {}} for media_type in media_types}}}


def error_response(
    status: int, code: str, message: str, fields: dict[str, Any] | None = None
) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    response = jsonify({"error": body})
    response.status_code = status
    return response


def _flatten(messages: Any) -> dict[str, list[str]]:
    if isinstance(messages, dict):
        return {
            str(k): v if isinstance(v, list) and all(isinstance(i, str) for i in v) else [str(v)]
            for k, v in messages.items()
        }
    return {"_schema": [str(messages)]}


class _Parser(FlaskParser):
    """webargs as the API has always answered: a body that is not a JSON object, and invalid or
    unknown fields (of the body or the query string), are a 400 in the API's error format.

    An empty query parameter (`?status=`) counts as absent. A query parameter's field may name
    the message of the answer when it is invalid: `metadata={"refusal": N_("...")}`."""

    DEFAULT_VALIDATION_STATUS = 400

    def load_json(self, req: flask.Request, schema: Schema) -> Any:
        data = req.get_json(silent=True)
        if not isinstance(data, dict):
            raise DomainError(N_("The request body must be a JSON object."))
        return data

    def load_querystring(self, req: flask.Request, schema: Schema) -> Any:
        given = MultiDict((k, v) for k, v in req.args.items(multi=True) if v.strip())
        return MultiDictProxy(given, schema)

    def handle_error(self, error: SchemaError, req: Any, schema: Schema, **_kwargs: Any) -> Any:
        messages = error.messages
        if isinstance(messages, dict) and len(messages) == 1:
            messages = next(iter(messages.values()))  # webargs names the location first
        fields = _flatten(messages)
        refusal = next(
            (
                schema.fields[name].metadata["refusal"]
                for name in schema.fields
                if name in fields and "refusal" in schema.fields[name].metadata
            ),
            N_("The request has invalid fields."),
        )
        raise DomainError(refusal, fields=fields)


class _PageArgs(FlaskParser):
    """`?page=&per_page=` are read and checked where the page is taken (central.core.pagination:
    its defaults, maximum and messages), so that a list that is not a query stays whole."""

    def parse(self, *_args: Any, **_kwargs: Any) -> PaginationParameters:
        return PaginationParameters(page=None, page_size=None)


class SelectPage(flask_smorest.Page):
    """A page of a query (its total counted in one extra query), or a whole list."""

    def __init__(self, collection: Any, page_params: PaginationParameters) -> None:
        if isinstance(collection, Select):
            page = paginate(collection)
            self._items, total = page.items, page.total
            page_params.page, page_params.page_size = page.page, page.per_page
        else:
            self._items = list(collection)
            total = len(self._items)
        page_params.item_count = total
        self.collection, self.page_params = collection, page_params

    @property
    def items(self) -> list[Any]:
        return self._items


PAGE_PARAMETERS = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {
        "name": "per_page",
        "in": "query",
        "schema": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_PER_PAGE,
            "default": DEFAULT_PER_PAGE,
        },
    },
]


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint, as Central's API answers and documents itself: the total of a
    list in `X-Total-Count`, every operation's error responses and security."""

    ARGUMENTS_PARSER = _Parser()
    PAGINATION_ARGUMENTS_PARSER = _PageArgs()
    PAGINATION_HEADER_NAME = "X-Total-Count"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(self._prepare_error_doc)

    def route(self, rule: str, *, parameters: Any = None, tags: Any = None, **options: Any):
        """`Blueprint.route`, with the endpoint and operation id `<domain>_<function>`."""

        def decorator(func: Callable) -> Callable:
            name = options.pop("endpoint", None) or (
                f"{func.__module__.split('.')[-2]}_{func.__name__}"
            )
            func._apidoc = deepcopy(getattr(func, "_apidoc", {}))  # type: ignore[attr-defined]
            func._apidoc.setdefault("manual_doc", {}).setdefault("operationId", name)  # type: ignore[attr-defined]
            self.add_url_rule(rule, name, func, parameters=parameters, tags=tags, **options)
            return func

        return decorator

    def paginate(self, pager: Any = SelectPage, **kwargs: Any) -> Callable:
        return super().paginate(pager, **kwargs)

    def _set_pagination_metadata(
        self, page_params: PaginationParameters, result: Any, headers: Any
    ) -> tuple[Any, Any]:
        headers = headers or {}
        headers[self.PAGINATION_HEADER_NAME] = str(page_params.item_count)
        return result, headers

    def _document_pagination_metadata(self, spec: APISpec, resp_doc: dict) -> None:
        resp_doc.setdefault("headers", {})[self.PAGINATION_HEADER_NAME] = {
            "schema": {"type": "integer"}
        }

    def _prepare_pagination_doc(self, doc: dict, doc_info: dict, *, spec: APISpec, **kwargs):
        if doc_info.get("pagination"):
            doc.setdefault("parameters", []).extend(deepcopy(PAGE_PARAMETERS))
            for status in doc_info.get("success_status_codes", []):
                self._document_pagination_metadata(spec, doc["responses"][status])
        return doc

    @staticmethod
    def _prepare_error_doc(doc: dict, doc_info: dict, **kwargs: Any) -> dict:
        """Every operation's errors (in the Error format) and who may call it."""
        manual = doc_info.get("manual_doc", {})
        # Parameters given by hand (`@api.doc(parameters=...)`) come after the others.
        doc.setdefault("parameters", []).extend(manual.pop("parameters", []))
        responses = doc.setdefault("responses", {})
        for code, text in _ERRORS.items():
            responses[code] = {"description": text, **ERROR_REF}
        for code in (400, 422):  # flask-smorest's own entries for invalid arguments
            responses.pop(code, None)
        if "multipart/form-data" in manual.get("requestBody", {}).get("content", {}):
            responses["413"] = {"description": "Upload too large", **ERROR_REF}
        if any(p.get("name") == "Idempotency-Key" for p in doc["parameters"]):
            responses["422"] = {
                "description": "Idempotency-Key reused with another body",
                **ERROR_REF,
            }
        doc["security"] = SIGNED_IN
        return doc


api = Blueprint("api", __name__, url_prefix=API_PREFIX)
csrf.exempt(api)  # session writes are checked in `authenticate`; Bearer requests need no CSRF


class _Paths(FlaskPlugin):
    """Paths relative to the server `/api/v1`, each operation naming its path parameters."""

    def path_helper(self, rule: Any = None, operations: Any = None, parameters: Any = None, **kw):
        path_params = self.rule_to_params(rule)
        for operation in operations.values():
            operation["parameters"] = deepcopy(path_params) + operation.get("parameters", [])
        return self.flaskpath2openapi(rule.rule).removeprefix(API_PREFIX)


class Api(flask_smorest.Api):
    # Central's error handlers answer every error (pages and API; see central.core.errors).
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self) -> None:
        pass

    def _register_responses(self) -> None:
        """Errors are documented as the `Error` schema below (not flask-smorest's own)."""

    def _register_pagination_header(self) -> None:
        """A list's total is `X-Total-Count` (see Blueprint), not flask-smorest's metadata."""


def schema_name(schema: Any) -> str:
    """A schema's name in the document: its class without "Schema"; a partial one (the body of a
    PATCH, every field optional) with "Patch"."""
    name = resolve_schema_cls(schema).__name__.removesuffix("Schema")
    return f"{name}Patch" if getattr(schema, "partial", False) else name


def init_app(app: Flask) -> Api:
    """Register the API blueprint on `app` and build its OpenAPI document."""
    marshmallow = MarshmallowPlugin(schema_name_resolver=schema_name)
    rest = Api(
        spec_kwargs={
            "title": "Central API",
            "version": "1.0.0",
            "openapi_version": "3.0.3",
            "info": {"description": "Joint purchasing for a purchasing central (aankoopcentrale)."},
            "servers": [{"url": API_PREFIX}],
            "flask_plugin": _Paths(),
            "marshmallow_plugin": marshmallow,
        }
    )
    app.config.setdefault("OPENAPI_URL_PREFIX", None)  # served by the blueprint itself, below
    rest.init_app(app)
    # Path parameters are documented as they always were: an integer id, or a text.
    rest.register_converter(IntegerConverter, lambda _converter: {"type": "integer"})
    rest.register_converter(UnicodeConverter, lambda _converter: {"type": "string"})
    # Money and decimals travel as strings ("1234.50", SPEC section 5): say so in the document.
    rest.register_field(ma_fields.Decimal, "string", "decimal")
    rest.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    rest.spec.components.security_scheme(
        "session", {"type": "apiKey", "in": "cookie", "name": "session"}
    )
    rest.spec.components.schema(
        "Error",
        {
            "type": "object",
            "properties": {
                "error": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "fields": {"type": "object"},
                    },
                    "required": ["code", "message"],
                }
            },
        },
    )
    rest.register_blueprint(api)
    return rest


def _is_public() -> bool:
    if request.endpoint == "api.openapi":
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "_apidoc", {}).get("manual_doc", {}).get("security") == PUBLIC


def load_body(schema: type[Schema]) -> dict[str, Any]:
    """The JSON body checked against `schema` as `@api.arguments` checks it, for a handler whose
    body is optional."""
    return Blueprint.ARGUMENTS_PARSER.parse(schema(), request, location="json")


def bearer_token() -> Any:
    """The valid (not revoked, of an active user) ApiToken the request's Authorization header
    names, or None; looked up once per request (the rate limiter asks first)."""
    if "api_bearer_token" not in g:
        scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
        api_token = None
        if scheme.lower() == "bearer" and secret.strip():
            api_token = find_api_token(secret.strip())
        if api_token is not None and (
            api_token.revoked_at is not None or not api_token.user.active
        ):
            api_token = None
        g.api_bearer_token = api_token
    return g.api_bearer_token


@api.before_request
def authenticate() -> Response | None:
    """Bearer token, or the browser session (whose writes carry the CSRF token in a header)."""
    header = request.headers.get("Authorization", "")
    if header:
        api_token = bearer_token()
        if api_token is None:
            return error_response(401, "unauthorized", _("The API token is invalid or revoked."))
        now = utcnow()
        # Written at most once a minute, so that reads stay reads.
        if api_token.last_used_at is None or now - api_token.last_used_at > timedelta(minutes=1):
            api_token.last_used_at = now
            try:
                db.session.commit()
            except OperationalError:
                # Best effort: when another writer holds SQLite, the next request records it.
                db.session.rollback()
        g._login_user = api_token.user  # Flask-Login's per-request user
        g.api_auth = "token"
        return None
    if _is_public():
        return None
    if not current_user.is_authenticated:
        return error_response(401, "unauthorized", _("Sign in or send a Bearer token."))
    g.api_auth = "session"
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
    return None


# Werkzeug's own descriptions are English; the API answers in the request's language (§7.6).
_HTTP_MESSAGES = {
    401: N_("Sign in or send a Bearer token."),
    404: N_("Not found."),
    405: N_("This method is not allowed on this address."),
    413: N_("The request is larger than the upload limit."),
    429: N_("Too many requests. Wait a moment (see Retry-After) and try again."),
}


def _http_message(exc: HTTPException) -> str:
    """The error's message in the request's language: a description given where the error was
    raised (a marked text) is translated, Werkzeug's default replaced by Central's own."""
    if exc.description and exc.description != type(exc).description:
        return _(exc.description)
    known = _HTTP_MESSAGES.get(exc.code or 500)
    if known:
        return _(known)
    return _("The request could not be handled (HTTP %(status)s).", status=exc.code or 500)


def handle_api_error(exc: Exception) -> Response:
    """Every error under /api/v1 in one JSON shape."""
    from flask_wtf.csrf import CSRFError

    db.session.rollback()
    if isinstance(exc, DomainError):
        # In the request's language (§7.6); field names and codes stay as they are.
        fields = {name: [exc.translated(m) for m in texts] for name, texts in exc.fields.items()}
        return error_response(exc.status, exc.code, exc.translated(), fields or None)
    if isinstance(exc, CSRFError):
        return error_response(400, "csrf", _("The X-CSRFToken header is missing or invalid."))
    if isinstance(exc, HTTPException):
        code = {
            404: "not_found",
            405: "method_not_allowed",
            413: "too_large",
            401: "unauthorized",
            429: "too_many_requests",
        }.get(exc.code or 500, "http_error")
        return error_response(exc.code or 500, code, _http_message(exc))
    raise exc


def openapi() -> Response:
    return jsonify(flask_smorest.current_api.spec.to_dict())


# Served by the blueprint (its rate limits and error format), not itself an operation.
flask.Blueprint.add_url_rule(api, "/openapi.json", "openapi", openapi)
