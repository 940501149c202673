"""The iframe page: one self-contained HTML document (inline CSS and SVG, no script, no assets).

Its stylesheet is static, so the page's CSP allows exactly that stylesheet by hash and nothing
else; `frame-ancestors` lists the token's allowed origins and Candor's own (the console's preview).
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from markupsafe import Markup

from .svg import Size, Theme, alt_text, change_label, chart_svg, csp_hash
from .view import Lang, WidgetView, text

HERE = Path(__file__).resolve().parent
FRAME_CSS = (HERE / "static" / "frame.css").read_text(encoding="utf-8").strip()
_STYLE_HASH = csp_hash(FRAME_CSS)

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.globals["change_label"] = change_label
_TEMPLATE = _env.get_template("frame.html")


def frame_csp(origins: tuple[str, ...], *, own_origin: bool = False) -> str:
    """The page's CSP: only `origins` (and, with `own_origin`, Candor's own pages) may frame it;
    nobody when there are none.

    A valid token's page may also be framed by Candor's own origin ('self'): the admin console
    shows a new token's widget as a live preview. No other Candor page frames anything (their CSP
    has no frame-src), and the widget page holds no form or link to trick anyone into.
    Error pages pass no origins: a page that shows nothing of the org has no reason to be
    framed by anyone (a bad token's host page then shows the browser's blocked frame).
    """
    ancestors = " ".join((("'self'",) if own_origin else ()) + origins) or "'none'"
    return (
        f"default-src 'none'; style-src {_STYLE_HASH}; img-src 'none'; base-uri 'none'; "
        f"form-action 'none'; frame-ancestors {ancestors}"
    )


def render_frame(view: WidgetView, *, theme: Theme, size: Size) -> bytes:
    lang = view.lang
    message = view.message if view.status != "ok" else None
    return _TEMPLATE.render(
        lang=lang,
        theme=theme,
        size=size,
        css=Markup(FRAME_CSS),  # noqa: S704 - our own static file, allowed by hash in the CSP
        heading=view.team,
        subtitle=text(lang, "title"),
        view=view,
        chart=Markup(chart_svg(view, size)),  # noqa: S704 - built with every value escaped
        alt=alt_text(view),
        t=view.texts,
        message=message,
        footnote=text(lang, "scale", k=view.k),
    ).encode()


def render_error_frame(lang: Lang, *, theme: Theme, message_key: str) -> bytes:
    """The same page for any bad token or parameter: no team name, no hint of what exists."""
    return _TEMPLATE.render(
        lang=lang,
        theme=theme,
        size="m",
        css=Markup(FRAME_CSS),  # noqa: S704 - our own static file
        heading="Candor",
        subtitle=None,
        view=None,
        message=text(lang, message_key),
        footnote=None,
    ).encode()
