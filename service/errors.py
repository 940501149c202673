"""One exception hierarchy for the whole service, rendered as RFC 9457 problem details.

Service functions raise these; handlers never build error responses by hand. `problem_plugin()`
maps them (and litestar's own HTTP errors, and anything unexpected) to `application/problem+json`
so a client never sees a traceback.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from redis.exceptions import ConnectionError as RedisConnectionError

from .text import explain_pattern_error

log = structlog.get_logger("candor.errors")


class CandorError(Exception):
    """Base of every error a client may cause; `status` and `title` pick the HTTP answer.

    `detail` is the API's words (English). A refusal a page shows may also carry a `code` and
    the `values` its words need, so the page words it in its reader's language; the problem
    JSON keeps to `detail`.
    """

    status = 400
    title = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        code: str | None = None,
        values: dict[str, str | int | list[str]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers
        self.code = code
        self.values = values or {}


class InvalidInput(CandorError):
    status = 400
    title = "Invalid input"


class Unauthorized(CandorError):
    status = 401
    title = "Unauthorized"


class Forbidden(CandorError):
    status = 403
    title = "Forbidden"


class NotFound(CandorError):
    status = 404
    title = "Not found"


class RequestTimeout(CandorError):
    status = 408
    title = "Request timeout"


class Conflict(CandorError):
    status = 409
    title = "Conflict"


class Gone(CandorError):
    status = 410
    title = "Gone"


class PayloadTooLarge(CandorError):
    status = 413
    title = "Payload too large"


class UnsupportedMediaType(CandorError):
    status = 415
    title = "Unsupported media type"


class UnprocessableEntity(CandorError):
    status = 422
    title = "Unprocessable entity"


class TooManyRequests(CandorError):
    status = 429
    title = "Too many requests"


class ServiceUnavailable(CandorError):
    status = 503
    title = "Service unavailable"


def _problem(
    status: int, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> ProblemDetailsException:
    return ProblemDetailsException(
        status_code=status,
        title=title,
        detail=detail,
        type_="about:blank",
        extra={k: v for k, v in extra.items() if v is not None} or None,
        headers=headers,
    )


def _is_unavailable(exc: BaseException) -> bool:
    """Postgres or Redis out of reach: the client should retry, it did nothing wrong."""
    # InternalClientError: asyncpg's protocol state broken by a connection that died mid-query
    # (seen while PostgreSQL restarts); the pool drops that connection on release.
    if isinstance(
        exc,
        (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.InternalClientError),
    ):
        return True
    if isinstance(exc, asyncpg.PostgresError) and getattr(exc, "sqlstate", "").startswith(
        ("08", "57P")
    ):
        return True
    return isinstance(exc, (ConnectionError, OSError, TimeoutError, RedisConnectionError))


def _from_candor(exc: CandorError) -> ProblemDetailsException:
    return ProblemDetailsException(
        status_code=exc.status,
        title=exc.title,
        detail=exc.detail,
        type_="about:blank",
        extra={"errors": exc.errors} if exc.errors else None,
        headers=exc.headers,
    )


def _explained(error: Any) -> Any:
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return {**error, "message": explain_pattern_error(error["message"])}
    return error


def _from_http(exc: HTTPException) -> ProblemDetailsException:
    status = exc.status_code
    if status >= 500:
        # Litestar raises 500-class HTTPExceptions only for server faults; keep details inside.
        return _problem(
            status, "Internal server error", "The server could not complete the request."
        )
    errors: list[Any] | None = None
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
        errors = [_explained(e) for e in exc.extra]
    title = {
        400: "Bad request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not found",
        405: "Method not allowed",
        413: "Payload too large",
        415: "Unsupported media type",
        429: "Too many requests",
    }.get(status, "Request error")
    return ProblemDetailsException(
        status_code=status,
        title=title,
        detail=str(exc.detail),
        type_="about:blank",
        extra={"errors": errors} if errors else None,
        headers=exc.headers,
    )


def _internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    # Log the full story server-side; the client gets a bland problem with the request id.
    request_id = request.scope.get("state", {}).get("request_id")
    if _is_unavailable(exc):
        log.warning(
            "dependency_unavailable",
            error=type(exc).__name__,
            route=request.scope.get("path_template", "unmatched"),
        )
        return _problem(
            503,
            "Service unavailable",
            "A backing service is briefly unavailable; please retry shortly.",
            headers={"Retry-After": "2"},
            request_id=request_id,
        ).to_response(request)
    log.error(
        "unhandled_error", exc_info=exc, route=request.scope.get("path_template", "unmatched")
    )
    return _problem(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "Internal server error",
        "The server could not complete the request.",
        request_id=request_id,
    ).to_response(request)


def problem_plugin() -> ProblemDetailsPlugin:
    return ProblemDetailsPlugin(
        ProblemDetailsConfig(
            enable_for_all_http_exceptions=True,
            exception_to_problem_detail_map={CandorError: _from_candor, HTTPException: _from_http},
        )
    )


def _bad_encoding(request: Request[Any, Any, Any], exc: UnicodeDecodeError) -> Response[Any]:
    # Raised while decoding a request body (e.g. invalid UTF-8 inside a JSON string).
    return _problem(400, "Bad request", "The request body is not valid UTF-8.").to_response(request)


def _bad_text(request: Request[Any, Any, Any], exc: asyncpg.DataError) -> Response[Any]:
    # PostgreSQL text cannot hold NUL (\u0000), which valid JSON strings may carry; the
    # statement failed, so nothing was stored.
    return _problem(
        400, "Invalid input", "Text fields may not contain NUL (\\u0000) characters."
    ).to_response(request)


EXCEPTION_HANDLERS = {
    Exception: _internal_error,
    UnicodeDecodeError: _bad_encoding,
    asyncpg.CharacterNotInRepertoireError: _bad_text,
    asyncpg.UntranslatableCharacterError: _bad_text,
}
