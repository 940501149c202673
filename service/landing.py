"""The landing page at `/`: what this server is, with links to the API docs and health.

Server-rendered, English or Dutch (`?lang=` wins, then Accept-Language), no JavaScript and no
asset from anywhere: its one stylesheet is inline and allowed by hash in the page's CSP, which
is otherwise the app's default made stricter.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any, Final, Literal

from litestar import Request, get
from litestar.response import Template
from markupsafe import Markup

Lang = Literal["en", "nl"]
LANGUAGES: Final = (("en", "English"), ("nl", "Nederlands"))

_CSS = (Path(__file__).resolve().parent / "templates" / "landing.css").read_text().strip()
_STYLE_HASH = "'sha256-" + base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode() + "'"
CSP = (
    f"default-src 'none'; style-src {_STYLE_HASH}; img-src data:; form-action 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)

_TEXT: Final[dict[Lang, dict[str, str]]] = {
    "en": {
        "tagline": "Anonymous pulse surveys on psychological safety, with team trends that "
        "never reveal a person.",
        "about": "This server runs the Candor API. People answer through the personal link "
        "they receive by email; admins and team leads use the API with an org key.",
        "links_title": "For admins and developers",
        "docs": "API documentation",
        "docs_hint": "the OpenAPI reference, to browse or download",
        "health": "Health check",
        "health_hint": "answers when the service is up",
        "console": "Console for leaders and admins (sign in by email)",
        "language": "Language",
    },
    "nl": {
        "tagline": "Anonieme pulsmetingen over psychologische veiligheid, met teamtrends die "
        "nooit een persoon prijsgeven.",
        "about": "Deze server draait de Candor-API. Medewerkers antwoorden via de persoonlijke "
        "link die ze per e-mail krijgen; beheerders en teamleiders gebruiken de API met een "
        "organisatiesleutel.",
        "links_title": "Voor beheerders en ontwikkelaars",
        "docs": "API-documentatie",
        "docs_hint": "de OpenAPI-beschrijving, om te bekijken of te downloaden",
        "health": "Statuscontrole",
        "health_hint": "antwoordt als de dienst draait",
        "console": "Console voor leidinggevenden en beheerders (aanmelden per e-mail)",
        "language": "Taal",
    },
}


_LANGS: Final[dict[str, Lang]] = {"en": "en", "nl": "nl"}


def pick_language(asked: str | None, accept_language: str) -> Lang:
    """`?lang=` if it is one we speak; else the Accept-Language entry with the highest q."""
    if asked in _LANGS:
        return _LANGS[asked]
    best: Lang = "en"
    best_q = 0.0
    for entry in accept_language[:500].split(",")[:20]:
        tag, _, params = entry.partition(";")
        primary = tag.strip().lower().split("-")[0]
        q = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value)
            except ValueError:
                q = 0.0
        if primary in _LANGS and q > best_q:
            best, best_q = _LANGS[primary], q
    return best


@get(
    "/",
    description=(
        "A small HTML page for a person who opens the server's address: what Candor is, with "
        "links to this API reference and the health check. English or Dutch (`?lang=` first, "
        "then Accept-Language); no JavaScript."
    ),
    tags=["pages"],
    summary="Landing page (HTML): what this server is, with links to the API docs and health",
    media_type="text/html",
    opt={"view": None},  # names and links, no number
    cache=False,
)
async def landing(request: Request[Any, Any, Any], lang: str | None = None) -> Template:
    chosen = pick_language(lang, request.headers.get("accept-language", ""))
    return Template(
        template_name="landing.html",
        context={
            "lang": chosen,
            "t": _TEXT[chosen],
            "languages": LANGUAGES,
            "css": Markup(_CSS),  # noqa: S704 - our own static file, allowed by hash in the CSP
            "console_url": "/console/sign-in",
        },
        media_type="text/html",
        headers={
            "Content-Security-Policy": CSP,
            "Content-Language": chosen,
            "Vary": "Accept-Language",
            "Cache-Control": "public, max-age=300",
        },
    )


ROUTES = [landing]
