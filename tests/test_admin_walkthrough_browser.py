"""The whole way a new admin goes, in headless Chromium, as docs/admin-guide.md tells it.

From an org that `candor org create --admin-email` has just made (the real command, run as a
subprocess: an empty org with one admin person) to a closed wave whose results a team leader
reads: sign in through the mailed link, upload an org chart CSV with a `leads` column, read the
dry-run diff, apply it, see the tree, make a pulse with its preview (the reporting plan), open
the first wave now, deliver the invitations (the worker's delivery job, against the test SMTP
server), answer as the invitees through the links in their mails, close the wave through the
confirmation page, send the "results are in" mail (the worker's console mail job; the rollup
runs in the closing transaction), and sign in as the leader from that mail to the team's page.

Each step's screenshot goes to docs/img/walkthrough-NN-*.png for the guide. The walk runs under
the app's real CSP and may cause no console error. Every admin page it shows is checked with
axe-core as the admin saw it: its HTML is loaded into a second context opened with
bypass_csp=True (axe is an injected script, which the real CSP rightly refuses), so pages that
answer a POST (the import's diff, the pulse preview) are checked too.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
from redis.asyncio import Redis

from service.console.sending import sweep_console_mail
from service.settings import Settings
from service.surveys.delivery.sender import deliver_wave
from service.surveys.waves.clock import open_due_waves
from tests.browser import (  # Chromium, the live app and the checks every browser test shares
    IMG,
    browser,
    live,
    pytestmark,
    watch,
)
from tests.factories import TEST_SECRET
from tests.smtp import LINK, MailBox
from tests.test_cli import acandor
from tests.workers import FAST

__all__ = ["browser", "live", "pytestmark"]

ADMIN = "robin@northwind.example"
LEADER = "sam@northwind.example"
# The org chart the admin uploads: two teams under Product, and Sam, who works in Platform,
# leads all of Product (the `leads` column; the teams are made from the paths).
PLATFORM = ["ada", "ben", "cleo", "dev", "eli", "fay"]
APPS = ["gus", "hana", "ivo", "jun", "kim", "lou"]
CSV = "\n".join(
    [
        "email,display_name,team,leads",
        f"{LEADER},Sam Rivera,Product/Platform,Product",
        *(f"{n}@northwind.example,{n.title()} Platform,Product/Platform," for n in PLATFORM),
        *(f"{n}@northwind.example,{n.title()} Apps,Product/Apps," for n in APPS),
    ]
).encode()
ANSWERING = PLATFORM[:5] + APPS[:5]  # five in each team: k is 5, so both teams can report


class Walk:
    """The admin's page, the screenshots, and the accessibility check of each admin page."""

    def __init__(self, page: Any, checker: Any, live: str) -> None:
        self.page = page
        self.checker = checker
        self.live = live
        self.found: list[str] = []
        self.n = 0

    async def shot(self, name: str, page: Any = None) -> None:
        self.n += 1
        path = IMG / f"walkthrough-{self.n:02d}-{name}.png"
        await (page or self.page).screenshot(path=str(path), full_page=True)

    async def axe(self, page: Any = None) -> None:
        """axe on the page exactly as shown: its HTML, in the CSP-free checking context."""
        from axe_playwright_python.async_playwright import Axe

        page = page or self.page
        html, url = await page.content(), page.url
        check = await self.checker.new_page()
        await check.goto(f"{self.live}/healthz")  # the same origin, for the stylesheets
        await check.set_content(html)
        results = await Axe().run(check)
        await check.close()
        self.found += [
            f"{v['id']} ({v['impact']}) @ {url}: {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]

    async def step(self, name: str) -> None:
        await self.shot(name)
        await self.axe()

    async def main(self) -> str:
        return str(await self.page.locator("main").inner_text())


async def follow(locator: Any) -> None:
    """Click a link or button and wait for the page it leads to."""
    async with locator.page.expect_navigation():
        await locator.click()


def _to(mailbox: MailBox, email: str) -> list[EmailMessage]:
    return [m for m in mailbox.messages if m["To"].addresses[0].addr_spec == email]


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


async def _sign_in_by_mail(
    page: Any, pool: asyncpg.Pool, settings: Settings, mailbox: MailBox, email: str
) -> None:
    """On the sign-in page the console sent us to: ask for a link, open it from the mail."""
    assert "/console/sign-in" in page.url
    await page.get_by_label("Work email address").fill(email)
    await follow(page.get_by_role("button", name="Email me a sign-in link"))
    assert await page.locator("h1").inner_text() == "Check your email"
    await sweep_console_mail({"pool": pool, "settings": settings})  # the worker's mail job
    link = re.search(r"/console/link/[A-Za-z0-9_-]{43}", _text(_to(mailbox, email)[-1]))
    assert link, "no sign-in link in the mail"
    base = page.url.split("/console/")[0]
    await page.goto(base + link.group(0))
    await follow(page.get_by_role("button", name="Sign in"))
    await page.wait_for_load_state()


async def test_a_new_admin_goes_from_an_empty_org_to_a_closed_wave_a_leader_can_read(
    live: str,
    browser: Any,
    pool: asyncpg.Pool,
    settings: Settings,
    mailbox: MailBox,
    database_url: str,
    tmp_path: Path,
) -> None:
    # The operator's part: `candor org create` with the first admin (the real command).
    made = await acandor(
        *("org", "create", "Northwind", "--admin-email", ADMIN, "--admin-name", "Robin Admin"),
        data_dir=tmp_path,
        DATABASE_URL=database_url,
        SECRET_KEY=TEST_SECRET,
        PUBLIC_BASE_URL=settings.public_base_url,
    )
    assert made.returncode == 0, made.stderr
    assert "/console/link/" in made.stdout
    org_id = UUID(made.stdout.split("created: ")[1].split()[0])
    assert await pool.fetchval("SELECT count(*) FROM people WHERE org_id = $1", org_id) == 1
    assert await pool.fetchval("SELECT count(*) FROM teams WHERE org_id = $1", org_id) == 0

    IMG.mkdir(parents=True, exist_ok=True)
    context = await browser.new_context(viewport={"width": 1180, "height": 900})
    checker = await browser.new_context(bypass_csp=True, viewport={"width": 1180, "height": 900})
    page = await context.new_page()
    watched = [watch(page)]  # each page's console errors, filled in as they happen
    walk = Walk(page, checker, live)

    # 1. Sign in: the admin console sends a stranger to the sign-in page, which mails a link.
    await page.goto(f"{live}/console/admin")
    await page.get_by_label("Work email address").fill(ADMIN)
    await walk.step("sign-in")
    await _sign_in_by_mail(page, pool, settings, mailbox, ADMIN)
    assert page.url.endswith("/console/admin")
    await walk.step("admin-home")

    # 2. The org chart: empty, then a CSV upload, its dry-run diff, apply, the tree.
    await follow(page.get_by_role("link", name="Org chart"))
    assert "There are no teams yet." in await walk.main()
    await walk.step("org-empty")
    await follow(page.get_by_role("link", name="Upload a people CSV"))
    await page.set_input_files(
        "#file", files=[{"name": "northwind.csv", "mimeType": "text/csv", "buffer": CSV}]
    )
    assert await page.get_by_label(
        "Create the teams that the team column names", exact=False
    ).is_checked()
    await walk.step("import")
    await follow(page.get_by_role("button", name="Check the file"))
    diff = await walk.main()
    assert "New people: 13" in diff and "New leader roles: 1" in diff, diff
    assert "Product/Platform" in diff and "Product/Apps" in diff
    assert await pool.fetchval("SELECT count(*) FROM people WHERE org_id = $1", org_id) == 1
    await walk.step("import-diff")
    await follow(page.get_by_role("button", name="Apply these changes"))
    assert await page.locator("h1").inner_text() == "People imported", await walk.main()
    await walk.step("import-done")
    await follow(page.get_by_role("link", name="Back to the org chart"))
    tree = await page.locator("ul.tree").inner_text()
    assert "led by Sam Rivera" in tree and "13 people" in tree, tree
    await walk.step("org-chart")
    await follow(page.locator("ul.tree").get_by_role("link", name="Product", exact=True))
    assert await page.locator("h1").inner_text() == "Product"
    assert "Sam Rivera" in await walk.main()
    await walk.step("team")

    # 3. A pulse over Product, with its preview: who is invited, which groups can report.
    await page.goto(f"{live}/console/admin")
    await follow(page.get_by_role("link", name="Pulses"))
    await walk.step("pulses-empty")
    await follow(page.get_by_role("link", name="New pulse"))
    await page.get_by_label("Name").fill("Product pulse")
    await page.get_by_label("Product", exact=True).check()
    # The schedule's first wave in two weeks; this first one is opened by hand below.
    regular = (datetime.now(UTC) + timedelta(days=14)).date()
    await page.get_by_label("First wave on").fill(regular.isoformat())
    await walk.step("pulse-new")
    await follow(page.get_by_role("button", name="Preview"))
    preview = await page.locator("#preview").inner_text()
    assert "A wave would invite 13 people." in preview, preview
    assert "Platform" in preview and "Apps" in preview
    assert f"The first wave opens on {regular.day} {regular:%b %Y}" in preview, preview
    await walk.step("pulse-preview")
    await follow(page.get_by_role("button", name="Save"))
    assert "The pulse was saved." in await walk.main()
    await walk.step("pulse-saved")

    # 4. The first wave, now; the worker's delivery job mails the 13 invitations.
    await page.goto(f"{live}/console/admin")
    await follow(page.get_by_role("link", name="Waves"))
    await walk.step("waves")
    form = page.locator("form", has_text="Product pulse")
    await follow(form.get_by_role("button", name="Open the next wave now"))
    assert "The wave is open" in await walk.main()
    wave_url = page.url.split("?")[0]
    wave_id = wave_url.rsplit("/", 1)[1]
    sent = await deliver_wave(
        {"pool": pool, "settings": settings, "delivery_config": FAST}, str(org_id), wave_id
    )
    assert sent.get("sent") == 13, sent
    await page.goto(wave_url)
    assert "13" in await walk.main()
    await walk.step("wave-delivered")

    # 5. The invitees answer through the links in their mails, each in their own browser.
    for i, name in enumerate(ANSWERING):
        (mail,) = _to(mailbox, f"{name}@northwind.example")
        token = LINK.search(_text(mail))
        assert token, _text(mail)
        them = await browser.new_context(viewport={"width": 900, "height": 900})
        answer = await them.new_page()
        watched.append(watch(answer))
        await answer.goto(f"{live}/s/{token.group(1)}")
        if i == 0:
            assert "Platform" in await answer.locator("p.note.group").inner_text()
            await walk.shot("respondent", answer)
        for n, fieldset in enumerate(await answer.locator("fieldset").all()):
            await fieldset.locator("input[type=radio]").nth(4 + (i + n) % 3).check()
        await follow(answer.get_by_role("button"))
        assert await answer.locator("h1").inner_text() == "Thank you"
        if i == 0:
            await walk.shot("respondent-thanks", answer)
        await them.close()

    # 6. Close: the wave's page, the confirmation page, the closed wave.
    await page.goto(wave_url)
    await follow(page.get_by_role("link", name="Close now…"))
    assert "cannot be undone" in await walk.main()
    await walk.step("wave-close")
    await follow(page.get_by_role("button", name="Close the wave now"))
    closed = await walk.main()
    assert "The wave is closed" in closed
    assert "10" in closed  # the closed wave's count of answers
    await walk.step("wave-closed")
    # The worker's console mail job sends the "results are in" mail queued by the close.
    await sweep_console_mail({"pool": pool, "settings": settings})
    (results,) = [m for m in _to(mailbox, LEADER) if "/console/teams/" in _text(m)]
    team_link = re.search(r"/console/teams/[0-9a-f-]{36}", _text(results))
    assert team_link, _text(results)
    # The worker's pulse clock: the next wave is the schedule's, in two weeks, not now.
    redis = Redis.from_url(settings.redis_url)
    ctx = {"pool": pool, "settings": settings, "redis": redis}
    assert await open_due_waves(ctx) == 0
    await redis.aclose()
    await context.close()

    # 7. Sam, the leader, follows the mail's link, signs in and reads Product's results.
    theirs = await browser.new_context(viewport={"width": 1180, "height": 900})
    lead = await theirs.new_page()
    watched.append(watch(lead))
    await lead.goto(live + team_link.group(0))
    await _sign_in_by_mail(lead, pool, settings, mailbox, LEADER)
    assert lead.url.endswith(team_link.group(0))
    assert await lead.locator("h1").inner_text() == "Product"
    assert await lead.locator("svg.chart").count() >= 1
    await walk.shot("leader-results", lead)
    await theirs.close()
    await checker.close()

    assert walk.found == []
    assert [p for problems in watched for p in problems] == []
