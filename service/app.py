"""The Litestar application, assembled in one place.

Every route, plugin, middleware, exception handler and lifespan resource is registered here;
domains expose a `ROUTES` list and nothing else is needed to mount them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from arq.connections import ArqRedis
from litestar import Litestar
from litestar.config.response_cache import ResponseCacheConfig
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.template.config import TemplateConfig
from redis.asyncio import ConnectionPool

from . import admin, audit_routes, health, landing
from .analytics import routes as analytics_routes
from .analytics import widgets as analytics_widgets
from .analytics.widgets.fastpath import WidgetRevalidation
from .analytics.widgets.tokencache import TokenCache
from .apidoc import describe_console, document_problems
from .auth import authenticate_first
from .bodies import BodyDeadline, JsonRequest
from .closing import after_close
from .console import routes as console_routes
from .db import create_pool
from .errors import EXCEPTION_HANDLERS, problem_plugin
from .head import HeadAsGet
from .observe import ObserveMiddleware, configure_logging
from .ratelimit import AuthFailureLimiter, CircuitBreaker
from .reference import DocumentedJson, OfflineReference
from .settings import Settings, get_settings
from .surveys.delivery import routes as delivery_routes
from .surveys.directory import routes as directory_routes
from .surveys.pulses import routes as pulse_routes
from .surveys.respond import routes as respond_routes
from .surveys.waves import routes as wave_routes

HERE = Path(__file__).resolve().parent
TEMPLATE_DIRS = [
    HERE / "templates",
    HERE / "surveys" / "respond" / "templates",
    HERE / "surveys" / "delivery" / "templates",
    HERE / "analytics" / "templates",
]


def redis_client(url: str, queue_name: str) -> ArqRedis:
    """Redis for enqueueing jobs (on the worker's queue) and for rate limits.

    Built without a ping so the API starts (and keeps serving submits and reads) while
    Redis is briefly away; /ready reports it.
    """
    pool = ConnectionPool.from_url(url, socket_connect_timeout=1.0, socket_timeout=2.0)
    return ArqRedis(connection_pool=pool, default_queue_name=queue_name)


def _routes(settings: Settings) -> list[Any]:
    routes: list[Any] = [*landing.ROUTES, *health.ROUTES, *admin.ROUTES, *audit_routes.ROUTES]
    routes += directory_routes.TEAMS + directory_routes.PEOPLE + directory_routes.IMPORT
    routes += directory_routes.LEADERS
    routes += pulse_routes.ITEMS + pulse_routes.PULSES
    routes += wave_routes.WAVES
    routes += respond_routes.PAGES + respond_routes.API
    routes += delivery_routes.STATUS + delivery_routes.OPT_OUT
    routes += analytics_routes.LEADER
    routes += analytics_widgets.ADMIN + analytics_widgets.EMBED
    routes += console_routes.ROUTES
    if settings.is_dev:
        from . import devpages

        routes += devpages.ROUTES
    return routes


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_format)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        pool = await create_pool(settings)
        redis = redis_client(settings.redis_url or "redis://127.0.0.1:6379/0", settings.arq_queue)
        app.state.pool = pool
        app.state.redis = redis
        app.state.settings = settings
        app.state.auth_failure_limiter = AuthFailureLimiter()
        app.state.rate_limit_breaker = CircuitBreaker()
        # What closing a wave triggers beyond the surveys slice: the analytics rollup.
        app.state.after_close = after_close
        app.state.widget_tokens = TokenCache()
        await app.state.widget_tokens.start(settings.database_url or "")
        try:
            yield
        finally:
            await app.state.widget_tokens.stop()
            await redis.aclose()
            await pool.close()

    app = Litestar(
        route_handlers=_routes(settings),
        # Keyed routes authenticate in a guard, before litestar reads and decodes the body.
        guards=[authenticate_first],
        request_class=JsonRequest,
        lifespan=[lifespan],
        state=State({"settings": settings}),
        plugins=[problem_plugin()],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        template_config=TemplateConfig(
            directory=[d for d in TEMPLATE_DIRS if d.exists()], engine=JinjaTemplateEngine
        ),
        openapi_config=OpenAPIConfig(
            title="Candor",
            version="1.0.0",
            description=(
                "Anonymous psychological-safety pulse surveys. Admin and leader routes take an "
                "org API key as a bearer token; numbers only leave through the anonymity guard."
            ),
            path="/schema",
            # Swagger UI from the installed package: the reference works offline, no CDN.
            render_plugins=[OfflineReference(), DocumentedJson()],
            components=Components(
                security_schemes={
                    "apiKey": SecurityScheme(
                        type="http", scheme="bearer", description="org API key"
                    )
                }
            ),
        ),
        request_max_body_size=settings.max_body_bytes,
        response_cache_config=ResponseCacheConfig(),
        logging_config=None,
        debug=False,
    )
    document_problems(app)
    describe_console(app)
    # Wrap the whole handler (not one route's stack) so 404s, 405s and errors raised before
    # routing also get security headers, a request id, a log line and a metric.
    # Widget revalidations that the route would answer 304 are answered in front of the router,
    # with the route's own checks and headers (analytics/widgets/fastpath.py).
    app.asgi_handler = ObserveMiddleware(
        WidgetRevalidation(
            HeadAsGet(BodyDeadline(app.asgi_handler, settings.body_timeout_seconds)), app
        )
    )
    return app


def app_factory() -> Litestar:
    """Entry point for granian (`--factory service.app:app_factory`)."""
    return create_app()
