"""Sign-in by magic link, sessions and CSRF: the promises of the console's front door.

A link comes by mail (through the real SMTP test server), works once and for 15 minutes, is
stored only as a hash; the page says the same for every address; sessions end on sign-out, when
idle and at their absolute end (time moved with an injected clock, never slept); every form
refuses a missing or wrong token.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from litestar import Litestar

from service.console.sending import sweep_console_mail
from service.console.sessions import COOKIE, PRE_COOKIE, digest
from service.settings import Settings
from tests.factories import form_token, signed_in
from tests.smtp import MailBox
from tests.worlds import console_world

LEADER_EMAIL = "lead@demo.example"


@pytest.fixture
def clock(app: Litestar) -> Iterator[list[datetime]]:
    """Move the console's clock: `clock[0] = ...`; back to real time after the test."""
    now = [datetime.now(UTC)]
    app.state.console_clock = lambda: now[0]
    yield now
    del app.state.console_clock


async def _ask_link(client: Any, email: str, **extra: str) -> Any:
    page = await client.get("/console/sign-in", params=extra)
    pre = page.cookies.get(PRE_COOKIE) or client.cookies.get(PRE_COOKIE)
    form = {"email": email, "csrf": form_token(page.text), **extra}
    return await client.post(
        "/console/sign-in",
        data=form,
        headers={"Cookie": f"{PRE_COOKIE}={pre}"},
        follow_redirects=False,
    ), pre


async def _mailed_link(pool: asyncpg.Pool, settings: Settings, mailbox: MailBox) -> str:
    await sweep_console_mail({"pool": pool, "settings": settings})
    assert len(mailbox.messages) == 1
    body = mailbox.messages[-1].get_body(preferencelist=("plain",))
    assert body is not None
    found = re.search(
        r"(http://testserver\.local/console/link/[A-Za-z0-9_-]{43})", body.get_content()
    )
    assert found, body.get_content()
    return found.group(1).removeprefix("http://testserver.local")


async def test_a_leader_signs_in_through_the_mailed_link_once(
    client: Any, pool: asyncpg.Pool, settings: Settings, mailbox: MailBox
) -> None:
    w = await console_world(pool)
    r, pre = await _ask_link(client, LEADER_EMAIL, next=f"/console/teams/{w.teams['Product']}")
    assert r.status_code == 303 and r.headers["location"].startswith("/console/sign-in?sent=1")
    link = await _mailed_link(pool, settings, mailbox)
    assert mailbox.envelopes[-1][1] == [LEADER_EMAIL]
    # Only the hash is stored; the token is nowhere in the database.
    token = link.rsplit("/", 1)[1]
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM signin_links WHERE token_hash = $1", digest(token)
        )
        == 1
    )
    dump = await pool.fetchval("SELECT string_agg(t::text, '') FROM signin_links t")
    assert token not in dump

    confirm = await client.get(link)
    assert confirm.status_code == 200 and "Pat Lead" in confirm.text
    r = await client.post(
        link,
        data={"csrf": form_token(confirm.text)},
        headers={"Cookie": f"{PRE_COOKIE}={pre}"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/console/teams/{w.teams['Product']}"
    set_cookie = [
        v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith(COOKIE)
    ]
    assert set_cookie and "HttpOnly" in set_cookie[0] and "SameSite=lax" in set_cookie[0]
    assert "Secure" not in set_cookie[0]  # PUBLIC_BASE_URL is http here
    value = set_cookie[0].split(";")[0].split("=", 1)[1]
    page = await client.get(r.headers["location"], headers={"Cookie": f"{COOKIE}={value}"})
    assert page.status_code == 200 and "Product" in page.text

    # Used once: the same link is now the "cannot be used" page, and starts nothing.
    again = await client.post(
        link, data={"csrf": "x"}, headers={"Cookie": f"{PRE_COOKIE}={pre}"}, follow_redirects=False
    )
    assert again.status_code == 404 and COOKIE not in again.headers.get("set-cookie", "")


async def test_the_page_says_the_same_for_an_unknown_address_and_sends_nothing(
    client: Any, pool: asyncpg.Pool, settings: Settings, mailbox: MailBox
) -> None:
    await console_world(pool)
    known, _ = await _ask_link(client, LEADER_EMAIL)
    unknown, _ = await _ask_link(client, "nobody@demo.example")
    member, _ = await _ask_link(client, "platform-1@demo.example")  # a person, not a leader
    assert known.status_code == unknown.status_code == member.status_code == 303
    assert known.headers["location"] == unknown.headers["location"] == member.headers["location"]
    landing = [(await client.get(r.headers["location"])).text for r in (known, unknown, member)]
    assert len({re.sub(r'value="[^"]+"', "", t) for t in landing}) == 1
    await sweep_console_mail({"pool": pool, "settings": settings})
    assert [e[1] for e in mailbox.envelopes] == [[LEADER_EMAIL]]


async def test_links_expire_after_15_minutes_and_are_limited_per_person(
    client: Any, pool: asyncpg.Pool, settings: Settings, mailbox: MailBox, clock: list[datetime]
) -> None:
    await console_world(pool)
    await _ask_link(client, LEADER_EMAIL)
    link = await _mailed_link(pool, settings, mailbox)
    clock[0] += timedelta(minutes=15, seconds=1)
    assert (await client.get(link)).status_code == 404
    for _ in range(6):
        await _ask_link(client, LEADER_EMAIL)
    # Five links an hour (one already made): the rest are dropped with the same answer.
    assert await pool.fetchval("SELECT count(*) FROM signin_links") == 5


async def test_sessions_end_when_idle_at_their_absolute_end_and_on_sign_out(
    client: Any, pool: asyncpg.Pool, clock: list[datetime]
) -> None:
    w = await console_world(pool)
    s = await signed_in(pool, w.org.id, w.leader)
    home = "/console/teams"

    async def status() -> int:
        r = await client.get(home, headers=s.headers, follow_redirects=False)
        return int(r.status_code)

    assert await status() == 200
    # Used every 50 minutes: the idle hour never runs out...
    for _ in range(13):
        clock[0] += timedelta(minutes=50)
        if clock[0] - datetime.now(UTC) >= timedelta(hours=11, minutes=55):
            break
        assert await status() == 200
    # ...but 12 hours after sign-in the session ends however busy it was.
    clock[0] = datetime.now(UTC) + timedelta(hours=12, minutes=1)
    assert await status() == 303

    s2 = await signed_in(pool, w.org.id, w.leader)
    clock[0] = datetime.now(UTC) + timedelta(minutes=61)
    r = await client.get(home, headers=s2.headers, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/console/sign-in?next=")

    clock[0] = datetime.now(UTC)
    s3 = await signed_in(pool, w.org.id, w.leader)
    out = await client.post(
        "/console/sign-out", data={"csrf": s3.csrf}, headers=s3.headers, follow_redirects=False
    )
    assert out.status_code == 303 and "signed_out" in out.headers["location"]
    r = await client.get(home, headers=s3.headers, follow_redirects=False)
    assert r.status_code == 303


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
async def test_a_form_without_the_right_token_is_refused(
    client: Any, pool: asyncpg.Pool, token: str | None
) -> None:
    w = await console_world(pool)
    s = await signed_in(pool, w.org.id, w.leader)
    team = w.teams["Product"]
    base = {"dimension": "trust", "try_text": "Try pairing", "agreed_on": "2026-01-05"}
    data = base if token is None else {**base, "csrf": token}
    for path, body in (
        (f"/console/teams/{team}/focus", data),
        ("/console/settings", {k: v for k, v in data.items() if k == "csrf"} | {"lang": "nl"}),
        ("/console/sign-out", {k: v for k, v in data.items() if k == "csrf"}),
    ):
        r = await client.post(path, data=body, headers=s.headers, follow_redirects=False)
        assert r.status_code == 403, path
        assert "This form has expired" in r.text
    assert await pool.fetchval("SELECT count(*) FROM team_focus") == 0
    assert await pool.fetchval("SELECT count(*) FROM console_prefs") == 0
    # The sign-in form refuses a token that does not match its cookie, too.
    r = await client.post(
        "/console/sign-in",
        data={"email": LEADER_EMAIL, "csrf": token or ""},
        headers={"Cookie": f"{PRE_COOKIE}={'A' * 43}"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert await pool.fetchval("SELECT count(*) FROM signin_links") == 0


async def test_pages_carry_a_strict_csp_and_no_caching(client: Any, pool: asyncpg.Pool) -> None:
    w = await console_world(pool)
    s = await signed_in(pool, w.org.id, w.leader)
    for path in ("/console/sign-in", "/console/teams", f"/console/teams/{w.teams['Product']}"):
        r = await client.get(path, headers=s.headers)
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp
        assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert "http://" not in re.sub(r'xmlns="http://www.w3.org/2000/svg"', "", r.text).replace(
            "http://testserver.local", ""
        )
