"""Widgets in a real browser: embedded on another origin, framed only where allowed.

Headless Chromium (Debian's /usr/bin/chromium, driven by playwright without its own browser)
loads host pages from http://localhost:PORT that embed the iframe page, the web component and
the badge served by a live granian server on http://127.0.0.1:PORT. Screenshots of each form
are saved into docs/img/ for docs/widgets.md.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.factories import ROOT, Org, make_widget_token
from tests.servers import HostSite, LiveServer, host_site, live_server
from tests.waiting import wait_until
from tests.worlds import BIG_TEAM_WAVES, WidgetWorld, build_widget_world, score100

CHROMIUM = Path("/usr/bin/chromium")
IMG = ROOT / "docs" / "img"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="headless Chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
    ),
]


@pytest.fixture(scope="module")
def server(database_url: str, redis_url: str, tmp_path_factory: Any) -> Iterator[LiveServer]:
    with live_server(database_url, redis_url, tmp_path_factory.mktemp("live") / "log") as s:
        yield s


@pytest.fixture(scope="module")
def site() -> Iterator[HostSite]:
    with host_site() as s:
        yield s


@pytest.fixture(scope="module")
def other_site() -> Iterator[HostSite]:
    with host_site() as s:
        yield s


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    pw = await async_playwright().start()
    b = await pw.chromium.launch(
        executable_path=str(CHROMIUM),
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    )
    yield b
    await b.close()
    await pw.stop()


def host_page(server: LiveServer, token: str, *, theme: str = "light") -> str:
    q = f"token={token}&theme={theme}"
    base = server.base_url
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Team wiki</title>
<script src="{base}/embed/v1/candor.js"></script>
<style>body{{font-family:sans-serif;margin:16px;background:#f6f8fa}} .box{{margin:12px 0}}</style>
</head><body><h1>Our team wiki</h1>
<div class="box"><iframe id="frame" src="{base}/embed/v1/frame?{q}" title="Team pulse"
 width="500" height="420" style="border:1px solid #ddd;background:#fff"
 referrerpolicy="no-referrer"></iframe></div>
<div class="box" id="comp-box"><candor-team-trend id="comp" token="{token}" theme="{theme}">
</candor-team-trend></div>
<div class="box" id="badges"><img id="badge" alt="psychological safety"
 src="{base}/embed/v1/badge.svg?{q}&dimension=psychological_safety">
<img id="badge-nl" alt="psychologische veiligheid"
 src="{base}/embed/v1/badge.svg?{q}&dimension=trust&lang=nl">
<img id="badge-bad" alt="unavailable" src="{base}/embed/v1/badge.svg?token=cwt_nope"></div>
</body></html>"""


async def expected_scores(pool: Any, world: WidgetWorld) -> dict[str, int]:
    """The latest whole-point score per dimension, from the same guarded function."""
    from service.analytics.trends import team_trend

    trend = await team_trend(pool, world.org_id, world.big, subtree=True, waves_limit=8)
    out: dict[str, int] = {}
    for series in trend.series:
        last = series.points[-1].result
        assert last.published and last.score is not None
        out[series.key] = round(last.score)
    return out


async def test_iframe_and_component_show_the_right_numbers_on_another_origin(
    client: Any, org: Org, pool: Any, server: LiveServer, site: HostSite, browser: Any
) -> None:
    world = await build_widget_world(pool, org.id)
    tok = await make_widget_token(client, org.headers, world.big, allowed_origins=[site.origin])
    expected = await expected_scores(pool, world)
    assert expected["psychological_safety"] == round(score100(BIG_TEAM_WAVES[-1]))
    page = await browser.new_page(viewport={"width": 620, "height": 1100})
    json_requests: list[str] = []
    page.on("request", lambda r: json_requests.append(r.url) if "trend.json" in r.url else None)
    await page.goto(site.put("/wiki", host_page(server, tok["token"])))

    frame = page.frame_locator("#frame")
    await frame.locator("svg.chart").wait_for()
    for dim, score in expected.items():
        cell = frame.locator(f'tr[data-dimension="{dim}"] td.num')
        assert await cell.inner_text() == str(score), dim
    assert await frame.locator("svg.chart polyline").count() == len(expected)
    assert "participation" in await frame.locator("body").inner_text()

    comp = page.locator("#comp")
    await comp.locator("svg.chart").wait_for()
    assert await comp.get_attribute("data-state") == "ok"
    for dim, score in expected.items():
        cell = comp.locator(f'tr[data-dimension="{dim}"] td.num')
        assert await cell.inner_text() == str(score), dim
    assert await comp.locator("svg.chart polyline").count() == len(expected)
    assert len(json_requests) == 1  # one fetch per element, however many attributes it has

    # Every badge loaded as an image (the bad one as the neutral "unavailable" picture).
    for badge in ("#badge", "#badge-nl", "#badge-bad"):
        width = await page.eval_on_selector(badge, "img => img.naturalWidth")
        assert width > 0, badge

    IMG.mkdir(parents=True, exist_ok=True)
    await page.locator("#frame").screenshot(path=str(IMG / "widget-iframe.png"))
    await comp.screenshot(path=str(IMG / "widget-component.png"))
    await page.locator("#badges").screenshot(path=str(IMG / "widget-badge.png"))

    dark = await browser.new_page(viewport={"width": 620, "height": 1100}, color_scheme="dark")
    await dark.goto(site.put("/wiki-dark", host_page(server, tok["token"], theme="auto")))
    await dark.frame_locator("#frame").locator("svg.chart").wait_for()
    await dark.locator("#frame").screenshot(path=str(IMG / "widget-iframe-dark.png"))
    await dark.close()
    await page.close()


async def test_the_chart_takes_keyboard_focus_and_states_its_numbers(
    client: Any, org: Org, pool: Any, server: LiveServer, browser: Any
) -> None:
    world = await build_widget_world(pool, org.id)
    tok = await make_widget_token(client, org.headers, world.big)
    expected = await expected_scores(pool, world)
    page = await browser.new_page()
    await page.goto(f"{server.base_url}/embed/v1/frame?token={tok['token']}&lang=en")
    await page.keyboard.press("Tab")
    focused = await page.evaluate("document.activeElement.getAttribute('class')")
    assert focused == "chart"
    label = await page.evaluate(
        "document.getElementById(document.activeElement.getAttribute('aria-labelledby')"
        ".split(' ')[1]).textContent"
    )
    assert f"psychological safety: {expected['psychological_safety']}" in label
    await page.close()


async def test_a_disallowed_origin_cannot_frame_or_read_it(
    client: Any,
    org: Org,
    pool: Any,
    server: LiveServer,
    site: HostSite,
    other_site: HostSite,
    browser: Any,
) -> None:
    world = await build_widget_world(pool, org.id)
    tok = await make_widget_token(client, org.headers, world.big, allowed_origins=[site.origin])
    page = await browser.new_page()
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text))
    await page.goto(other_site.put("/elsewhere", host_page(server, tok["token"])))
    comp = page.locator("#comp")
    await comp.locator("p.empty").wait_for()
    assert await comp.get_attribute("data-state") == "unavailable"
    assert await comp.locator("svg.chart").count() == 0
    # The frame was refused by CSP frame-ancestors (the browser says so on its console): no
    # document of ours loaded in it.
    await wait_until(
        lambda: any("frame-ancestors" in line for line in blocked), "the frame to be refused"
    )
    ours = [f for f in page.frames if f.url.startswith(server.base_url)]
    for f in ours:
        assert await f.locator("svg.chart").count() == 0
    await page.close()


async def test_the_suppressed_state_renders_a_kind_explanation(
    client: Any, org: Org, pool: Any, server: LiveServer, site: HostSite, browser: Any
) -> None:
    world = await build_widget_world(pool, org.id)
    tok = await make_widget_token(client, org.headers, world.small, allowed_origins=[site.origin])
    page = await browser.new_page(viewport={"width": 620, "height": 900})
    await page.goto(site.put("/small", host_page(server, tok["token"])))
    frame = page.frame_locator("#frame")
    await frame.locator("p.empty").wait_for()
    assert (
        "too few answered in that round (at least 5 needed)"
        in await frame.locator("p.empty").inner_text()
    )
    assert await frame.locator("svg.chart").count() == 0
    comp = page.locator("#comp")
    await comp.locator("p.empty").wait_for()
    assert await comp.get_attribute("data-state") == "suppressed"
    assert (
        "too few answered in that round (at least 5 needed)"
        in await comp.locator("p.empty").inner_text()
    )
    await page.locator("#frame").screenshot(path=str(IMG / "widget-suppressed.png"))
    await page.close()
