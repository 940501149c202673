"""The browsable API reference at /schema, served entirely from this server.

Swagger UI's script and stylesheet come from a package installed with Candor (swagger-ui-py
ships them); the page itself is a few lines of HTML, and the code that starts the UI lives in
our own static file, so the page runs under a CSP of `script-src 'self'` with no inline script
and never asks another host for anything. An offline or self-hosted install gets a working
reference, and no third-party JavaScript runs next to a privacy product's API.
"""

from __future__ import annotations

from functools import cache
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any, Final

from litestar import Request, Response, Router, get
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import JsonRenderPlugin, OpenAPIRenderPlugin

from .apidoc import complete_examples, complete_parameters

_OURS = Path(__file__).resolve().parent / "templates"

# Only these files are served (name → where it lives, media type; litestar adds the charset).
# Swagger UI's package holds more (an editor, source maps); none of that is needed, so none of
# it is reachable.
ASSETS: Final[dict[str, tuple[str, str]]] = {
    "swagger-ui.css": ("swagger_ui", "text/css"),
    "swagger-ui-bundle.js": ("swagger_ui", "text/javascript"),
    "api-reference.js": ("ours", "text/javascript"),
    "api-reference.css": ("ours", "text/css"),
}
ASSET_PATH: Final = "/assets"


@cache
def asset_bytes(name: str) -> bytes:
    """The bytes of one allowed asset, read once per process."""
    origin, _ = ASSETS[name]
    if origin == "ours":
        return (_OURS / name).read_bytes()
    return resources.files("swagger_ui").joinpath("static", name).read_bytes()


@get(
    f"{ASSET_PATH}/{{name:str}}",
    include_in_schema=False,
    opt={"view": None},  # scripts and stylesheets: no number
)
async def reference_asset(name: str) -> Response[bytes]:
    """One script or stylesheet of the reference page; anything else is a 404."""
    if name not in ASSETS:
        raise NotFoundException("No such asset")
    return Response(
        asset_bytes(name),
        media_type=ASSETS[name][1],
        headers={"cache-control": "public, max-age=86400"},
    )


class OfflineReference(OpenAPIRenderPlugin):
    """Swagger UI at /schema (and /schema/swagger, the older address), from local assets."""

    def __init__(self) -> None:
        super().__init__(path=["/", "/swagger"])

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = escape(str(openapi_schema.get("info", {}).get("title", "API")))
        base = request.app.openapi_config.path if request.app.openapi_config else "/schema"
        assets = escape(f"{base}{ASSET_PATH}")
        spec_url = escape(self.get_openapi_json_route(request))
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title} API reference</title>"
            '<link rel="icon" href="data:,">'
            f'<link rel="stylesheet" href="{assets}/swagger-ui.css">'
            f'<link rel="stylesheet" href="{assets}/api-reference.css">'
            "</head><body>"
            f'<noscript><p class="noscript">The interactive reference needs JavaScript. The '
            f'OpenAPI document itself is at <a href="{spec_url}">{spec_url}</a>.</p></noscript>'
            f'<div id="api-reference" data-spec-url="{spec_url}"></div>'
            f'<script src="{assets}/swagger-ui-bundle.js"></script>'
            f'<script src="{assets}/api-reference.js"></script>'
            "</body></html>\n"
        ).encode()

    def receive_router(self, router: Router) -> None:
        router.register(reference_asset)


class DocumentedJson(JsonRenderPlugin):
    """/schema/openapi.json with one whole example per body schema and every parameter
    described (apidoc.complete_examples, apidoc.complete_parameters)."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, complete_parameters(complete_examples(openapi_schema)))


__all__ = ["ASSETS", "DocumentedJson", "OfflineReference", "asset_bytes", "reference_asset"]
