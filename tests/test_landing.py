"""The landing page at `/`: a small server-rendered page naming the service and linking its API
docs and health, in English or Dutch, without JavaScript or assets from anywhere else."""

from __future__ import annotations

import base64
import hashlib
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.servers import live_server

CHROMIUM = "/usr/bin/chromium"


class _Page(HTMLParser):
    """What an accessibility and CSP review looks at: tags, attributes, link texts, styles."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.links: list[tuple[str, str]] = []
        self.styles: list[str] = []
        self._open: list[str] = []
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._open.append(tag)
        if tag == "a":
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            href = next(a.get("href") for t, a in reversed(self.tags) if t == "a")
            self.links.append((str(href), " ".join("".join(self._text).split())))
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        self._text.append(data)
        if self._open and self._open[-1] == "style":
            self.styles.append(data)


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def _csp_hash(css: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"


async def test_the_landing_page_names_the_service_and_links_docs_and_health(client: Any) -> None:
    r = await client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    page = _parse(r.text)
    hrefs = dict(page.links)
    assert "/schema" in hrefs and "/health" in hrefs
    assert all(text for _, text in page.links), page.links  # every link says where it goes
    assert "Candor" in r.text
    assert ("html", {"lang": "en"}) in page.tags
    assert any(t == "main" for t, _ in page.tags) and any(t == "h1" for t, _ in page.tags)
    assert any(t == "meta" and a.get("name") == "viewport" for t, a in page.tags)
    # No script, no asset or link to anywhere else.
    assert not any(t == "script" for t, _ in page.tags)
    for tag, attrs in page.tags:
        for name in ("src", "href", "action"):
            value = attrs.get(name) or ""
            assert not re.match(r"(?i)^\s*(https?:)?//", value), (tag, attrs)
            assert not value.lower().startswith("javascript:"), (tag, attrs)


async def test_the_landing_page_csp_allows_exactly_its_own_inline_style(client: Any) -> None:
    r = await client.get("/")
    csp = r.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert "script-src" not in directives and "unsafe" not in csp
    page = _parse(r.text)
    assert len(page.styles) == 1
    assert directives["style-src"] == _csp_hash(page.styles[0])
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize(
    ("query", "accept", "lang"),
    [
        ("", "", "en"),
        ("", "nl", "nl"),
        ("", "nl-NL,nl;q=0.9,en;q=0.8", "nl"),
        ("", "en;q=0.5, nl-BE;q=0.9", "nl"),
        ("", "en-GB,en;q=0.9,nl;q=0.8", "en"),
        ("", "fr-FR, de;q=0.8", "en"),
        ("", "nl;q=0", "en"),
        ("?lang=nl", "en", "nl"),
        ("?lang=en", "nl", "en"),
        ("?lang=fr", "nl", "nl"),
    ],
)
async def test_the_landing_page_speaks_english_or_dutch(
    client: Any, query: str, accept: str, lang: str
) -> None:
    headers = {"Accept-Language": accept} if accept else {}
    r = await client.get("/" + query, headers=headers)
    assert r.status_code == 200
    assert ("html", {"lang": lang}) in _parse(r.text).tags
    assert r.headers["content-language"] == lang
    assert "accept-language" in r.headers["vary"].lower()
    word = {"en": "API documentation", "nl": "API-documentatie"}[lang]
    assert word in r.text


async def test_the_landing_page_links_the_console_sign_in(client: Any) -> None:
    r = await client.get("/")
    assert '<a href="/console/sign-in">' in r.text
    nl = await client.get("/", params={"lang": "nl"})
    assert "Console voor leidinggevenden" in nl.text


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no headless Chromium at {CHROMIUM}")
async def test_the_landing_page_renders_styled_with_nothing_blocked(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright

    with live_server(database_url, redis_url, tmp_path / "server.log") as server:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"], headless=True
            )
            page = await browser.new_page(java_script_enabled=False)
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text))
            page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
            await page.goto(server.base_url + "/?lang=nl")
            assert await page.get_attribute("html", "lang") == "nl"
            # The inline stylesheet applied (the CSP hash matched): the page is not unstyled.
            width = await page.eval_on_selector("main", "m => getComputedStyle(m).maxWidth")
            assert width != "none"
            assert problems == []
            await page.get_by_role("link", name=re.compile("API")).click()
            assert page.url.endswith("/schema")
            await browser.close()
