"""Request plumbing: request ids, access logs without secrets, Prometheus metrics, security headers.

One pure-ASGI middleware does all four so each request pays for a single wrapper. Paths are
logged and labelled by their route *template* (`/s/{token:str}`), never the raw path, so a
respondent or widget token can never reach a log line or a metric label.
"""

from __future__ import annotations

import contextvars
import logging
import random
import re
import time
from bisect import bisect_left
from collections.abc import Iterator
from typing import Any

import structlog
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

# What the middleware logs access lines through, read at each request: the lazy proxy until
# logging is configured, then the logger bound once by `configure_logging` (the proxy re-binds
# on every call, several microseconds per request), or None when the level drops access lines.
log: Any = structlog.get_logger("candor.access")

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

DEFAULT_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
# The browsable API reference (/schema) runs Swagger UI from this server's own files: scripts
# only from here and never inline; styles may be set by the UI's code (React sets style
# attributes), and its icons are data: images. Nothing may be fetched from another origin.
SCHEMA_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
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


# The respondent's routes are never counted: a live count of submissions (or of 200s against
# 404s on the link page) next to a clock is exactly what the anonymity model rules out.
UNCOUNTED = ("/s/", "/api/v1/respond/", "/optout/", "/assets/respond.css")


class _RequestMetrics(Collector):
    """Request counts and latency histograms, exported when Prometheus scrapes.

    prometheus_client's Counter and Histogram take a lock and resolve their label child on
    every update; here a request only bumps plain ints in dicts (requests are handled on the
    worker's one event-loop thread), and the families are built at scrape time. The exported
    names, labels and buckets are those of a Counter `candor_http_requests_total`
    {method, route, status} and a Histogram `candor_http_request_duration_seconds`
    {method, route}.
    """

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, int], int] = {}
        # per (method, route): one count per bucket (the last one is +Inf), then the sum
        self.latency: dict[tuple[str, str], list[float]] = {}

    def record(self, method: str, route: str, status: int, elapsed: float) -> None:
        if route.startswith(UNCOUNTED):
            return
        key = (method, route, status)
        self.counts[key] = self.counts.get(key, 0) + 1
        hkey = (method, route)
        hist = self.latency.get(hkey)
        if hist is None:
            hist = self.latency[hkey] = [0.0] * (len(LATENCY_BUCKETS) + 2)
        hist[bisect_left(LATENCY_BUCKETS, elapsed)] += 1
        hist[-1] += elapsed

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "candor_http_requests", "HTTP requests served", labels=["method", "route", "status"]
        )
        for (method, route, status), count in list(self.counts.items()):
            requests.add_metric([method, route, str(status)], count)
        latency = HistogramMetricFamily(
            "candor_http_request_duration_seconds",
            "HTTP request latency",
            labels=["method", "route"],
        )
        bounds = [*(repr(float(b)) for b in LATENCY_BUCKETS), "+Inf"]
        for (method, route), hist in list(self.latency.items()):
            cumulative: list[tuple[str, float]] = []
            running = 0.0
            for bound, in_bucket in zip(bounds, hist[:-1], strict=True):
                running += in_bucket
                cumulative.append((bound, running))
            latency.add_metric([method, route], cumulative, sum_value=hist[-1])
        yield requests
        yield latency


_METRICS = _RequestMetrics()
REGISTRY.register(_METRICS)


_OUR_HEADERS = frozenset(name for name, _ in [*_BASE_HEADERS, _DEFAULT_CSP])
# The common case, no header of ours set by the handler: append these in one go.
_ALL_DEFAULT = [*_BASE_HEADERS, _DEFAULT_CSP]
_ALL_SCHEMA = [*_BASE_HEADERS, _SCHEMA_CSP]


def _new_request_id() -> bytes:
    # A correlation id, not a secret: 64 random bits without a system call per request.
    return b"%016x" % random.getrandbits(64)


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
            request_id = _new_request_id()
        rid = request_id.decode()
        scope.setdefault("state", {})["request_id"] = rid
        # Every log line written while handling this request carries its id (structlog's
        # merge_contextvars reads this variable).
        token = _REQUEST_ID_VAR.set(rid)
        status_holder = [500]
        start = time.perf_counter()
        schema = scope["path"].startswith("/schema")

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = message["status"]
                headers: list[tuple[bytes, bytes]] = list(message.get("headers") or ())
                present = {name.lower() for name, _ in headers}
                if present.isdisjoint(_OUR_HEADERS):
                    headers += _ALL_SCHEMA if schema else _ALL_DEFAULT
                else:
                    for name, value in _BASE_HEADERS:
                        if name not in present:
                            headers.append((name, value))
                    if b"content-security-policy" not in present:
                        headers.append(_SCHEMA_CSP if schema else _DEFAULT_CSP)
                headers.append((b"x-request-id", request_id))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - start
            template = scope.get("path_template")
            route = str(template) if template else "unmatched"
            method = scope["method"]
            status = status_holder[0]
            _METRICS.record(method, route, status, elapsed)
            access = log
            if access is not None:
                access.info(
                    "request",
                    method=method,
                    route=route,
                    status=status,
                    ms=round(elapsed * 1000, 2),
                )
            _REQUEST_ID_VAR.reset(token)


def metrics_body() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST


def configure_logging(level: str, fmt: str) -> None:
    """structlog to stdout: JSON lines in production, readable lines in dev."""
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
    global log
    access = structlog.get_logger("candor.access")
    log = access.bind() if logging.getLevelName(level) <= logging.INFO else None
