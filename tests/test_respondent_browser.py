"""The respondent page in a real headless Chromium: it renders, works by keyboard and mouse
without JavaScript, re-renders errors with answers kept, submits, and logs no console errors."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import pytest

from service.app import create_app
from service.settings import Settings
from service.surveys.respond import token_for
from service.surveys.waves import open_wave
from tests.factories import ROOT, TEST_SECRET, Org, make_people, make_pulse, make_team_tree
from tests.servers import app_in_thread
from tests.worlds import open_test_wave

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason=f"headless Chromium not installed at {CHROMIUM}"
    ),
]
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def live_server(settings: Settings) -> Iterator[str]:
    """A second app instance served over real HTTP in a thread (its own loop and pool), so the
    browser talks to it as a person would."""
    with app_in_thread(create_app(settings)) as url:
        yield url


def _note_console(problems: list[str], message: Any) -> None:
    """Record console errors, except the note Chromium logs for a page we deliberately answer
    with a 4xx status (422 for a form sent back with errors, 404 for a spent link)."""
    if message.type != "error":
        return
    url = message.location.get("url", "")
    deliberate = "/s/" in url and "status of 4" in message.text
    if not deliberate:
        problems.append(f"{message.text} @ {url}")


@pytest.fixture
async def page(live_server: str) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = await browser.new_context(
            viewport={"width": 420, "height": 900}, java_script_enabled=False
        )
        pg = await context.new_page()
        pg.problems = []
        pg.on("console", lambda m: _note_console(pg.problems, m))
        pg.on("pageerror", lambda e: pg.problems.append(str(e)))
        pg.on("requestfailed", lambda r: pg.problems.append(f"failed: {r.url}"))
        yield pg
        await browser.close()


async def test_a_person_answers_by_keyboard_fixes_an_error_and_is_thanked(
    page: Any, live_server: str, pool: asyncpg.Pool, org: Org
) -> None:
    w = await open_test_wave(pool, org.id, locale="en", k=5)
    await page.goto(f"{live_server}/s/{w.tokens[0]}")
    assert await page.get_attribute("html", "lang") == "en"
    assert await page.locator("fieldset legend").count() == len(w.item_keys)
    assert await page.get_by_text("at least 5 people").count() == 1
    # The person sees which group their answers count toward and how many were invited to it.
    group = page.locator("p.note.group")
    assert await group.inner_text() == (
        "Your answers count toward Platform: 6 people were invited. Results are shown only if "
        "at least 5 of them answer."
    )
    # The stylesheet loaded from our own origin and applies.
    button_bg = await page.eval_on_selector("button", "b => getComputedStyle(b).backgroundColor")
    assert button_bg == "rgb(11, 79, 138)"

    # Answer all but the last item, the first by keyboard: Tab to it, arrow keys pick a value.
    await page.locator(f'input[name="item:{w.item_keys[0]}"]').first.focus()
    await page.keyboard.press("ArrowRight")
    await page.keyboard.press("ArrowRight")
    for key in w.item_keys[1:-1]:
        await page.locator(f'input[name="item:{key}"][value="6"]').check()
    await page.fill("#comment", "We <3 our retros")
    await page.screenshot(path=str(ROOT / "docs" / "img" / "respondent.png"), full_page=True)
    await page.get_by_role("button").click()

    # Back with an error on the unanswered item; earlier answers and the comment kept.
    assert await page.locator(".error-summary").count() == 1
    assert await page.locator(f'input[name="item:{w.item_keys[0]}"][value="3"]').is_checked()
    assert await page.locator(f'input[name="item:{w.item_keys[1]}"][value="6"]').is_checked()
    assert await page.input_value("#comment") == "We <3 our retros"
    last = page.locator(f'[id="item-{w.item_keys[-1]}"] .field-error')
    assert await last.count() == 1

    await page.locator(f'label:has(input[name="item:{w.item_keys[-1]}"][value="2"])').click()
    await page.get_by_role("button").click()
    assert await page.locator("h1").inner_text() == "Thank you"
    assert await pool.fetchval("SELECT count(*) FROM ballots") == 1
    answers = await pool.fetchval("SELECT answers FROM ballots")
    assert answers[w.item_keys[0]] == 3 and answers[w.item_keys[-1]] == 2

    await page.goto(f"{live_server}/s/{w.tokens[0]}")
    assert await page.locator("h1").inner_text() == "This link cannot be used"
    assert page.problems == []


async def test_language_switch_shows_dutch_without_javascript(
    page: Any, live_server: str, pool: asyncpg.Pool, org: Org
) -> None:
    # Design (3 people) is reported together with Data (7): the page says so.
    teams = await make_team_tree(pool, org.id, {"Product": {"Data": {}, "Design": {}}})
    await make_people(pool, org.id, teams["Data"], 7)
    await make_people(pool, org.id, teams["Design"], 3)
    pulse_id = await make_pulse(pool, org.id, [teams["Product"]])
    async with pool.acquire() as conn:
        wave_id = await open_wave(conn, org.id, pulse_id, secret=TEST_SECRET)
    invitation = await pool.fetchval(
        "SELECT id FROM invitations WHERE wave_id = $1 AND team_id = $2 LIMIT 1",
        wave_id,
        teams["Design"],
    )
    await page.goto(f"{live_server}/s/{token_for(TEST_SECRET, invitation)}")
    await page.get_by_role("link", name="Nederlands").click()
    assert await page.get_attribute("html", "lang") == "nl"
    assert await page.get_by_role("button").inner_text() == "Verstuur mijn antwoorden"
    assert await page.locator("p.note.group").inner_text() == (
        "Je antwoorden tellen mee voor “Data & Design” (je team wordt samen met Data "
        "gerapporteerd): er zijn 10 mensen uitgenodigd. Uitkomsten worden alleen getoond als "
        "minstens 5 van hen antwoorden."
    )
    await page.screenshot(path=str(ROOT / "docs" / "img" / "respondent-nl.png"), full_page=False)
    assert page.problems == []
