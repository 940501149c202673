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
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.routes import HTTPRoute

from .auth import requires_principal

PROBLEM_MEDIA_TYPE = "application/problem+json"


class Problem(msgspec.Struct, frozen=True):
    """RFC 9457 problem details: how every client error (and a 503) is answered."""

    status: int
    title: str
    type: str = "about:blank"
    detail: str | None = None
    # Per-field problems, when there are several (validation, CSV rows, answers).
    errors: list[Any] | None = None
    request_id: str | None = None


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


__all__ = ["PROBLEM_MEDIA_TYPE", "Problem", "document_problems", "pages", "problems"]
