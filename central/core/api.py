"""The JSON API `/api/v1`: authentication, errors, validation, pagination and the OpenAPI document.

Handlers are registered with `@endpoint(...)`, which records each operation so that the OpenAPI
document is generated (by apispec) from exactly the routes that exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import wraps
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Response, g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema
from marshmallow import ValidationError as SchemaError
from marshmallow import fields as ma_fields
from sqlalchemy import Select
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from central.core.exceptions import N_, DomainError
from central.core.pagination import DEFAULT_PER_PAGE, MAX_PER_PAGE, paginate
from central.core.security import find_api_token
from central.core.types import utcnow
from central.extensions import csrf, db

API_PREFIX = "/api/v1"
api = Blueprint("api", __name__, url_prefix=API_PREFIX)
csrf.exempt(api)  # session writes are checked in `authenticate`; Bearer requests need no CSRF


@dataclass
class Operation:
    path: str
    method: str
    endpoint: str
    summary: str
    tag: str
    body: type[Schema] | None = None
    response: type[Schema] | None = None
    many: bool = False
    status: int = 200
    public: bool = False
    query: list[dict[str, Any]] = field(default_factory=list)
    multipart: bool = False
    produces: tuple[str, ...] = ("application/json",)
    # Path parameters that are not integers (Flask's `<name>` without the `int:` converter).
    string_params: tuple[str, ...] = ()
    # Other success statuses the handler may answer with, e.g. 200 for an upsert that replaced.
    also: tuple[int, ...] = ()


OPERATIONS: list[Operation] = []
_PUBLIC_ENDPOINTS: set[str] = set()


def error_response(
    status: int, code: str, message: str, fields: dict[str, Any] | None = None
) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    response = jsonify({"error": body})
    response.status_code = status
    return response


def load_body(schema: type[Schema], *, partial: bool = False) -> dict[str, Any]:
    """Validate the JSON body against `schema`; malformed JSON and unknown fields answer 400."""
    data = request.get_json(silent=True)
    if data is None:
        raise DomainError(N_("The request body must be a JSON object."))
    if not isinstance(data, dict):
        raise DomainError(N_("The request body must be a JSON object."))
    try:
        return schema().load(data, partial=partial)
    except SchemaError as exc:
        raise DomainError(
            N_("The request has invalid fields."), fields=_flatten(exc.messages)
        ) from None


def _flatten(messages: Any) -> dict[str, list[str]]:
    if isinstance(messages, dict):
        return {
            str(k): v if isinstance(v, list) and all(isinstance(i, str) for i in v) else [str(v)]
            for k, v in messages.items()
        }
    return {"_schema": [str(messages)]}


def endpoint(
    path: str,
    method: str = "GET",
    *,
    summary: str,
    tag: str,
    body: type[Schema] | None = None,
    response: type[Schema] | None = None,
    many: bool = False,
    status: int = 200,
    public: bool = False,
    partial: bool = False,
    query: list[dict[str, Any]] | None = None,
    multipart: bool = False,
    produces: tuple[str, ...] = ("application/json",),
    also: tuple[int, ...] = (),
) -> Callable:
    """Register an API operation.

    The handler receives the path arguments, plus `data` (the validated body) when `body` is given.
    It returns a model or a list (dumped with `response`), a Select (paginated when `many`), a
    (value, status) pair, or a ready Response.
    """

    def decorator(fn: Callable) -> Callable:
        name = f"{fn.__module__.split('.')[-2]}_{fn.__name__}"

        @wraps(fn)
        def view(**kwargs: Any) -> Response:
            if body is not None:
                kwargs["data"] = load_body(body, partial=partial)
            result = fn(**kwargs)
            if isinstance(result, Response):
                return result
            code = status
            if isinstance(result, tuple):
                result, code = result
            if result is None:
                return Response(status=204)
            if many:
                if isinstance(result, Select):
                    page = paginate(result)
                    items, total = page.items, page.total
                else:
                    items, total = list(result), len(result)
                payload = response().dump(items, many=True) if response else items
                resp = jsonify(payload)
                resp.headers["X-Total-Count"] = str(total)
            else:
                resp = jsonify(response().dump(result) if response else result)
            resp.status_code = code
            return resp

        flask_path = path
        api.add_url_rule(flask_path, endpoint=name, view_func=view, methods=[method])
        if public:
            _PUBLIC_ENDPOINTS.add(f"api.{name}")
        OPERATIONS.append(
            Operation(
                path=re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path),
                method=method.lower(),
                endpoint=f"api.{name}",
                summary=summary,
                tag=tag,
                body=body,
                response=response,
                many=many,
                status=status,
                public=public,
                query=query or [],
                multipart=multipart,
                produces=produces,
                also=also,
                string_params=tuple(
                    n for c, n in re.findall(r"<(?:(\w+):)?(\w+)>", path) if c != "int"
                ),
            )
        )
        return view

    return decorator


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
    if request.endpoint in _PUBLIC_ENDPOINTS:
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


def build_openapi() -> dict[str, Any]:
    """The OpenAPI 3 document of every registered operation."""
    marshmallow = MarshmallowPlugin()
    spec = APISpec(
        title="Central API",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[marshmallow],
        info={"description": "Joint purchasing for a purchasing central (aankoopcentrale)."},
        servers=[{"url": API_PREFIX}],
    )
    # Money and decimals travel as strings ("1234.50", SPEC section 5): say so in the document.
    marshmallow.map_to_openapi_type(ma_fields.Decimal, "string", "decimal")
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme(
        "session", {"type": "apiKey", "in": "cookie", "name": "session"}
    )
    spec.components.schema(
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
    error_ref = {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    }
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        params: list[dict[str, Any]] = [
            {
                "name": n,
                "in": "path",
                "required": True,
                "schema": {"type": "string" if n in op.string_params else "integer"},
            }
            for n in re.findall(r"{(\w+)}", op.path)
        ]
        if op.many:
            params += [
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
        params += op.query
        ok: dict[str, Any] = {"description": "OK"}
        if op.response is not None:
            schema: Any = op.response
            ok["content"] = {
                "application/json": {
                    "schema": {"type": "array", "items": schema} if op.many else schema
                }
            }
        elif op.status != 204:
            ok["content"] = {mime: {"schema": {}} for mime in op.produces}
        if op.many:
            ok["headers"] = {"X-Total-Count": {"schema": {"type": "integer"}}}
        responses: dict[str, Any] = {str(op.status): ok}
        for code in op.also:
            responses[str(code)] = {**ok, "description": "OK"}
        for code, text in (
            ("400", "Invalid input"),
            ("401", "Not authenticated"),
            ("403", "Not allowed for this role"),
            ("404", "Absent or outside your reach"),
            ("409", "Conflicts with the current state"),
            ("503", "The database is briefly unavailable; try again (see Retry-After)"),
        ):
            responses[code] = {"description": text, **error_ref}
        if op.multipart:
            responses["413"] = {"description": "The file is too large", **error_ref}
        if any(p.get("name") == "Idempotency-Key" for p in op.query):
            responses["422"] = {
                "description": "The Idempotency-Key was used before for another request",
                **error_ref,
            }
        if op.multipart:
            responses["413"] = {"description": "Upload too large", **error_ref}
        if any(p.get("in") == "header" and p.get("name") == "Idempotency-Key" for p in op.query):
            responses["422"] = {
                "description": "Idempotency-Key reused with another body",
                **error_ref,
            }
        operation: dict[str, Any] = {
            "summary": op.summary,
            "operationId": op.endpoint.removeprefix("api."),
            "tags": [op.tag],
            "parameters": params,
            "responses": responses,
        }
        if op.public:
            operation["security"] = [{}, {"bearer": []}, {"session": []}]
        else:
            operation["security"] = [{"bearer": []}, {"session": []}]
        if op.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": op.body}},
            }
        if op.multipart:
            operation["requestBody"] = {
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
        paths.setdefault(op.path, {})[op.method] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


@api.route("/openapi.json")
def openapi() -> Response:
    return jsonify(build_openapi())


_PUBLIC_ENDPOINTS.add("api.openapi")
