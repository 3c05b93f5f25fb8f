"""The JSON API `/api/v1` on flask-smorest: authentication, errors, validation, pagination and the
OpenAPI document.

An endpoint is a function in `<domain>/api.py` registered with flask-smorest's decorators on the
one blueprint `api`: `@api.route(path, methods=[...], tags=[...])`, `@api.arguments(Schema)` for
the JSON body (`location="query"` for the query string), `@api.response(status, Schema)` and
`@api.paginate()` for lists. Its docstring is its summary; its operation id (and endpoint) is
`<domain>_<function>`. The OpenAPI document is generated from exactly the routes that exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import timedelta
from functools import wraps
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
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, UnicodeConverter

from central.core.errors import N_, DomainError
from central.core.pagination import DEFAULT_PER_PAGE, MAX_PER_PAGE, paginate
from central.core.security import hash_token
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
    unknown fields (of the body or the query string), are a 400 in the API's error format."""

    DEFAULT_VALIDATION_STATUS = 400

    def load_json(self, req: flask.Request, schema: Schema) -> Any:
        data = req.get_json(silent=True)
        if not isinstance(data, dict):
            raise DomainError(N_("The request body must be a JSON object."))
        return data

    def handle_error(self, error: SchemaError, req: Any, schema: Schema, **_kwargs: Any) -> Any:
        messages = error.messages
        if isinstance(messages, dict) and len(messages) == 1:
            messages = next(iter(messages.values()))  # webargs names the location first
        raise DomainError(N_("The request has invalid fields."), fields=_flatten(messages))


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
        responses.pop(422, None)
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
        if rule is None:  # a path given as such (the hand-written operations)
            return None
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
    _add_hand_written_operations(rest.spec)
    return rest


def _is_public() -> bool:
    if request.endpoint == "api.openapi":
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "_apidoc", {}).get("manual_doc", {}).get("security") == PUBLIC


# --- the hand-written operations (until every module is on flask-smorest) ---


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
        flask.Blueprint.add_url_rule(
            api, flask_path, endpoint=name, view_func=view, methods=[method]
        )
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
    from central.accounts.models import ApiToken

    if "api_bearer_token" not in g:
        scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
        api_token = None
        if scheme.lower() == "bearer" and secret.strip():
            api_token = db.session.scalar(
                db.select(ApiToken).where(ApiToken.token_hash == hash_token(secret.strip()))
            )
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
    if request.endpoint in _PUBLIC_ENDPOINTS or _is_public():
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


def _add_hand_written_operations(spec: APISpec) -> None:
    """The operations still registered with `endpoint`, into flask-smorest's document."""
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


def openapi() -> Response:
    return jsonify(flask_smorest.current_api.spec.to_dict())


# Served by the blueprint (its rate limits and error format), not itself an operation.
flask.Blueprint.add_url_rule(api, "/openapi.json", "openapi", openapi)
