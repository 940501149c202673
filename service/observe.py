"""Request plumbing: request ids, access logs without secrets, Prometheus metrics, security headers.

One pure-ASGI middleware does all four so each request pays for a single wrapper. Paths are
logged and labelled by their route *template* (`/s/{token:str}`), never the raw path, so a
respondent or widget token can never reach a log line or a metric label.
"""

from __future__ import annotations

import contextvars
import os
import re
import time
from typing import Any

import structlog
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

log = structlog.get_logger("candor.access")

REQUESTS = Counter(
    "candor_http_requests_total", "HTTP requests served", ["method", "route", "status"]
)
LATENCY = Histogram(
    "candor_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)

DEFAULT_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
# The browsable OpenAPI UI needs its own scripts and styles; nothing else gets them.
SCHEMA_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https:; style-src 'self' "
    "'unsafe-inline' https:; img-src 'self' data: https:; font-src 'self' https:; "
    "frame-ancestors 'none'"
)
_BASE_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"interest-cohort=(), camera=(), microphone=(), geolocation=()"),
]
_REQUEST_ID_OK = re.compile(rb"^[A-Za-z0-9._-]{1,64}$")
_DEFAULT_CSP = (b"content-security-policy", DEFAULT_CSP.encode())
_SCHEMA_CSP = (b"content-security-policy", SCHEMA_CSP.encode())
_REQUEST_ID_VAR = contextvars.ContextVar[str | None]("structlog_request_id", default=None)


class _Children:
    """labels() resolves a child through a lock and a dict each call; keep our own map."""

    def __init__(self) -> None:
        self.counters: dict[tuple[str, str, int], Any] = {}
        self.histograms: dict[tuple[str, str], Any] = {}

    def record(self, method: str, route: str, status: int, elapsed: float) -> None:
        key = (method, route, status)
        counter = self.counters.get(key)
        if counter is None:
            counter = self.counters[key] = REQUESTS.labels(method, route, str(status))
        counter.inc()
        hkey = (method, route)
        histogram = self.histograms.get(hkey)
        if histogram is None:
            histogram = self.histograms[hkey] = LATENCY.labels(method, route)
        histogram.observe(elapsed)


_METRICS = _Children()


def _route_of(scope: Scope) -> str:
    template = scope.get("path_template")
    if template:
        return str(template)
    return "unmatched"


class ObserveMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        request_id = b""
        for name, value in scope["headers"]:
            if name == b"x-request-id" and _REQUEST_ID_OK.match(value):
                request_id = value
                break
        if not request_id:
            request_id = os.urandom(8).hex().encode()
        rid = request_id.decode()
        scope.setdefault("state", {})["request_id"] = rid
        # Every log line written while handling this request carries its id (structlog's
        # merge_contextvars reads this variable).
        token = _REQUEST_ID_VAR.set(rid)
        status_holder = [500]
        start = time.perf_counter()
        csp = _SCHEMA_CSP if scope["path"].startswith("/schema") else _DEFAULT_CSP

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = message["status"]
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in _BASE_HEADERS:
                    if name not in present:
                        headers.append((name, value))
                if b"content-security-policy" not in present:
                    headers.append(csp)
                headers.append((b"x-request-id", request_id))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - start
            route = _route_of(scope)
            method = scope["method"]
            status = status_holder[0]
            _METRICS.record(method, route, status, elapsed)
            log.info(
                "request", method=method, route=route, status=status, ms=round(elapsed * 1000, 2)
            )
            _REQUEST_ID_VAR.reset(token)


def metrics_body() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST


def configure_logging(level: str, fmt: str) -> None:
    """structlog to stdout: JSON lines in production, readable lines in dev."""
    import logging

    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    logging.basicConfig(level=level, format="%(message)s")
    # Client libraries log full URLs at INFO; a URL may carry a token, so keep them quiet.
    for noisy in ("httpx", "httpcore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        cache_logger_on_first_use=True,
    )
