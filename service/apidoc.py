"""What the OpenAPI document says about errors and credentials, for every route at once.

Litestar infers success responses from the handlers; the error side of the contract is the
service's own (errors.py renders every client error as RFC 9457 problem details), so it is
documented here in one pass over the assembled app instead of by hand on each handler:
a route that takes input may answer 400, a route behind the org API key answers 401 without a
valid key, 404 for anything outside the key's org or scope (and for admin routes called with a
leader key), 429 after too many bad keys (or on a rate-limited route), and any route that reads
the database answers 503 while a backing service is away. A handler that answers more (409, 410,
415, 422, ...) declares it with `responses=problems(...)`, and a page for people declares its
error pages with `responses=pages(...)`; what a handler declares itself is never overwritten.

A handler that reads its body itself (the CSV import, the survey form, answers keyed by item)
names that body with `operation_class=with_request_body(...)`. Each body schema gets one whole
example, put together from its fields' own examples (`complete_examples`), so the reference
shows a body someone could send rather than random text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.routes import HTTPRoute
from msgspec import Meta

from .auth import requires_principal

PROBLEM_MEDIA_TYPE = "application/problem+json"


class Problem(msgspec.Struct, frozen=True):
    """RFC 9457 problem details: how every client error (and a 503) is answered."""

    status: Annotated[int, Meta(description="The HTTP status code, repeated", examples=[400])]
    title: Annotated[
        str,
        Meta(
            description="What went wrong, in a short sentence",
            examples=["Bad request"],
        ),
    ]
    type: Annotated[
        str, Meta(description="A URI naming the kind of problem", examples=["about:blank"])
    ] = "about:blank"
    detail: Annotated[
        str | None,
        Meta(
            description="More about this occurrence, when there is more to say",
            examples=["Validation failed for GET /api/v1/teams"],
        ),
    ] = None
    # Per-field problems, when there are several (validation, CSV rows, answers).
    errors: Annotated[
        list[Any] | None,
        Meta(
            description="One entry per problem when there are several: the field, CSV line "
            "or item concerned, and what is wrong with it",
            examples=[
                [{"message": "Expected `int`, got `str`", "key": "limit", "source": "query"}]
            ],
        ),
    ] = None
    request_id: Annotated[
        str | None,
        Meta(
            description="The request's id, as in the X-Request-Id header and the server log",
            examples=["3f9c2b7a41d8e6f0"],
        ),
    ] = None


_DESCRIPTIONS = {
    400: "Invalid input: a parameter or the body does not match what the route accepts",
    401: "No valid org API key (send 'Authorization: Bearer cnd_...')",
    403: "Not allowed here",
    404: "Not found: unknown, or outside the caller's org or scope (the two look the same)",
    409: "Conflicts with the current state",
    410: "Gone: no longer accepts this",
    413: "The body is too large",
    415: "Unsupported media type",
    422: "Well-formed but not acceptable; each problem is named",
    429: "Too many requests; see Retry-After",
    503: "A backing service is briefly unavailable; retry (see Retry-After)",
}


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """`responses=` for a handler that may answer these statuses with problem details."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_MEDIA_TYPE,
            description=_DESCRIPTIONS.get(status, "Problem details"),
            generate_examples=False,
        )
        for status in statuses
    }


_PAGE_DESCRIPTIONS = {
    400: "A page explaining that the request could not be read",
    404: "A page saying the link is not valid (unknown or already used look the same)",
    410: "A page saying this is over (the wave has closed)",
    413: "A page saying the form was too large",
    415: "A page asking for the form to be sent as a form",
    422: "The form again, with each problem named and the answers kept",
    429: "A friendly 'one moment, please' page; see Retry-After",
}


def pages(*statuses: int, media_type: str = "text/html") -> dict[int, ResponseSpec]:
    """`responses=` for a page meant for a person: its errors are pages (or images) too."""
    return {
        status: ResponseSpec(
            str,
            media_type=media_type,
            description=_PAGE_DESCRIPTIONS.get(status, "A page for a person"),
            generate_examples=False,
        )
        for status in statuses
    }


# Handler arguments that litestar fills itself; anything else is input a caller can get wrong.
_INJECTED = {"state", "request", "who", "scope", "headers", "cookies", "socket"}
# Routes that answer from memory alone (no database): nothing there can be "unavailable".
_NO_BACKEND = {"/", "/health", "/metrics", "/embed/v1/candor.js", "/assets/respond.css"}


def _authenticated(handler: HTTPRouteHandler) -> bool:
    return requires_principal(handler)


def _statuses(route: HTTPRoute, handler: HTTPRouteHandler) -> list[int]:
    statuses: list[int] = []
    inputs = set(handler.parsed_fn_signature.parameters) - _INJECTED
    if inputs or route.path_parameters:
        statuses.append(400)
    if "data" in inputs:
        statuses.append(413)
    if _authenticated(handler):
        statuses += [401, 404, 429]
    else:
        if route.path_parameters:
            statuses.append(404)
        if handler.before_request is not None:  # the rate-limit hook
            statuses.append(429)
    if route.path not in _NO_BACKEND:
        statuses.append(503)
    return statuses


def with_request_body(description: str, content: dict[str, tuple[Schema, Any]]) -> type[Operation]:
    """`operation_class=` for a handler that reads its body itself: the body, for the docs.

    `content` maps each accepted media type to its schema and one example. Nothing about how
    the handler reads or checks the body changes; this only describes it.
    """
    body = RequestBody(
        description=description,
        required=True,
        content={
            media_type: OpenAPIMediaType(schema=schema, example=example)
            for media_type, (schema, example) in content.items()
        },
    )

    @dataclass
    class WithRequestBody(Operation):
        def __post_init__(self) -> None:
            if self.request_body is None:
                self.request_body = body

    return WithRequestBody


_CONSOLE_PAGE = (
    "A page of the leaders' console: HTML rendered on the server for a person signed in by "
    "email (see docs/console.md). It is listed so every route is on record; API clients use "
    "the /api/v1 routes instead."
)
_CONSOLE_FORM = (
    "A form of the leaders' console, posted by the browser as "
    "application/x-www-form-urlencoded; the answer is a page or a redirect (see "
    "docs/console.md). API clients use the /api/v1 routes instead."
)


def describe_console(app: Litestar) -> None:
    """Give the console's pages a description where their handlers carry none of their own."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/console"):
            continue
        for handler in route.route_handlers:
            if handler.description or "OPTIONS" in handler.http_methods:
                continue
            handler.description = _CONSOLE_FORM if "POST" in handler.http_methods else _CONSOLE_PAGE


# Values for a field whose schema gives no example of its own, by format and then by type.
_BY_FORMAT: dict[str, Any] = {
    "uuid": "0b9e3c52-6f1d-4a8e-9c27-5d4f1a2b3c4d",
    "date-time": "2026-11-30T09:00:00Z",
    "date": "2026-11-30",
    "email": "ana.jansen@example.org",
    "uri": "https://candor.example.org/",
}
_CYCLE = object()  # a schema met again inside itself (a tree of teams): stop there


def _example(schema: dict[str, Any], defs: dict[str, Any], inside: tuple[str, ...] = ()) -> Any:
    """One plausible value for `schema`: its own example first, else one made from its parts."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in inside:
            return _CYCLE
        target = defs.get(name, {})
        if target.get("examples"):
            return target["examples"][0]
        return _example(target, defs, (*inside, name))
    for key in ("examples", "example"):
        if key in schema and schema[key] not in (None, []):
            return schema[key][0] if key == "examples" else schema[key]
    if schema.get("default") is not None:
        return schema["default"]
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if schema.get("allOf"):
        parts = [_example(part, defs, inside) for part in schema["allOf"]]
        if all(isinstance(part, dict) for part in parts):
            return {k: v for part in parts for k, v in part.items()}
        return parts[0]
    for key in ("oneOf", "anyOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"]
            return _example(options[0], defs, inside) if options else None
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object" or "properties" in schema:
        made = {}
        for name, prop in schema.get("properties", {}).items():
            value = _example(prop, defs, inside)
            if value is not _CYCLE:
                made[name] = value
        extra = schema.get("additionalProperties")
        if not made and isinstance(extra, dict):
            value = _example(extra, defs, inside)
            made = {} if value is _CYCLE else {"key": value}
        return made
    if kind == "array":
        item = _example(schema.get("items", {}), defs, inside)
        return [] if item is _CYCLE else [item]
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        value = max(low, min(1, schema.get("maximum", 1)))
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return True
    if kind == "string":
        return _BY_FORMAT.get(schema.get("format", ""), "text")
    return None


# What each path or query parameter means, for those whose handlers do not say it themselves.
# Keyed by (where, name); a (path prefix, where, name) entry wins for the routes under it.
_PARAMETERS: dict[tuple[str, str], str] = {
    ("path", "team_id"): "The team's id",
    ("path", "wave_id"): "The wave's id",
    ("path", "pulse_id"): "The pulse's id",
    ("path", "person_id"): "The person's id",
    ("path", "key"): "The item's key",
    ("path", "key_id"): "The API key's id",
    ("path", "token_id"): "The widget token's id",
    ("path", "path"): "Any other path under /console: answered with a not-found page",
    ("query", "limit"): "The most entries to return in one page",
    ("query", "offset"): "How many entries to skip, for paging",
    ("query", "lang"): "The language of the page or texts: `en` or `nl`",
    ("query", "include_archived"): "Also list archived teams",
    ("query", "include_retired"): "Also list retired items",
    ("query", "active"): "Only active (true) or only inactive (false) ones; absent: all",
    ("query", "team_id"): "Only the people of this team",
    ("query", "pulse_id"): "Only the waves of this pulse",
    ("query", "dimension"): "Only items of this dimension",
    ("query", "dry_run"): "Check and count everything, then write nothing",
    ("query", "create_teams"): "Create the teams a path names that do not exist yet "
    "(false: report them as errors)",
    ("query", "deactivate_missing"): "Also deactivate every active person not in the file "
    "(for a full HR export)",
    ("query", "actor_kind"): "Only entries made by this kind of actor",
    ("query", "actor_id"): "Only entries made by this key or person (not with actor_kind=cli)",
    ("query", "action"): "Only entries of this action",
    ("query", "object_kind"): "Only entries about this kind of object",
    ("query", "object_id"): "Only entries about this object",
    ("query", "kind"): "`dimension` (the default) for one series per dimension, `item` for one "
    "per item",
    ("query", "wave"): "The closed wave to show; absent: the latest",
}
_PARAMETERS_UNDER: dict[tuple[str, str, str], str] = {
    ("/s/", "path", "token"): "The personal token from the emailed survey link",
    ("/api/v1/respond/", "path", "token"): "The personal token from the emailed survey link",
    ("/optout/", "path", "token"): "The token from the email's opt-out link",
    ("/console/link/", "path", "token"): "The token from the emailed sign-in link",
    ("/api/v1/audit", "query", "since"): "Only entries at or after this moment, with a time zone",
    ("/api/v1/audit", "query", "until"): "Only entries before this moment, with a time zone",
    ("/api/v1/teams/", "query", "since"): "Only waves that opened on or after this day",
    ("/api/v1/teams/", "query", "until"): "Only waves that opened on or before this day",
    ("/api/v1/pulses/", "query", "waves"): "How many of the next waves to show",
    ("/embed/", "query", "theme"): "`auto` (follows the reader's colour scheme), `light` or `dark`",
    ("/embed/", "query", "size"): "`s`, `m` or `l`",
    ("/embed/", "query", "waves"): "How many recent rounds to show (2 to 26; default 8)",
    ("/embed/", "query", "team"): "Optional: the token's team id, to check the token is the "
    "one meant",
    ("/embed/", "query", "dimension"): "The dimension whose latest score the badge shows "
    "(default `psychological_safety`)",
    ("/console/", "query", "dimension"): "The dimension to talk about",
    ("/console/admin/people", "query", "q"): "Part of a name or email address to search for",
}


def complete_parameters(spec: dict[str, Any]) -> dict[str, Any]:
    """Give every path and query parameter without a description the one it has above."""
    for path, item in spec.get("paths", {}).items():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("description") or parameter.get("in") not in ("path", "query"):
                    continue
                where, name = parameter["in"], parameter["name"]
                words = next(
                    (
                        text
                        for (prefix, w, n), text in _PARAMETERS_UNDER.items()
                        if path.startswith(prefix) and (w, n) == (where, name)
                    ),
                    _PARAMETERS.get((where, name)),
                )
                if words:
                    parameter["description"] = words
    return spec


def complete_examples(spec: dict[str, Any]) -> dict[str, Any]:
    """Give every component schema one whole example, made from its fields' examples.

    Field examples are written next to the fields (msgspec `Meta(examples=...)`); an object's
    example is those put together, and a field without one gets a plain value of its type.
    A schema that already has examples keeps them. Changes `spec` in place and returns it.
    """
    defs: dict[str, Any] = spec.get("components", {}).get("schemas", {})
    for name, schema in defs.items():
        if not schema.get("examples") and schema.get("type") == "object":
            schema["examples"] = [_example({**schema, "examples": None}, defs, (name,))]
    return spec


def document_problems(app: Litestar) -> None:
    """Add the error responses and bearer security of every schema route (see module doc)."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if handler.include_in_schema is False or "OPTIONS" in handler.http_methods:
                continue
            declared: dict[int, ResponseSpec] = dict(handler.responses or {})
            for status, spec in problems(*_statuses(route, handler)).items():
                declared.setdefault(status, spec)
            handler.responses = declared
            if _authenticated(handler) and not handler.security:
                handler.security = [{"apiKey": []}]


__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "Problem",
    "complete_examples",
    "complete_parameters",
    "describe_console",
    "document_problems",
    "pages",
    "problems",
    "with_request_body",
]
