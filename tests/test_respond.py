"""The respondent's page and its JSON twin: one use per token, no oracle, bad input refused
with nothing written, answers kept when the form comes back with errors."""

from __future__ import annotations

import asyncio
import re
import secrets
from typing import Any
from urllib.parse import urlencode

import asyncpg
import pytest

from service.surveys.respond import submit, token_for
from tests.factories import TEST_SECRET, Org, full_answers
from tests.waiting import wait_until
from tests.worlds import close_test_wave, open_test_wave

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def form_body(item_keys: list[str], value: int = 5, comment: str = "", **extra: str) -> str:
    fields = {f"item:{k}": str(value) for k in item_keys}
    fields["comment"] = comment
    fields.update(extra)
    return urlencode(fields)


async def stored(pool: asyncpg.Pool) -> tuple[int, int]:
    ballots = await pool.fetchval("SELECT count(*) FROM ballots")
    responded = await pool.fetchval("SELECT count(*) FROM invitations WHERE responded")
    return ballots, responded


async def test_page_renders_the_waves_items_in_the_persons_language(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    w = await open_test_wave(pool, org.id, locale="nl", k=4)
    r = await client.get(f"/s/{w.tokens[0]}")
    assert r.status_code == 200
    html = r.text
    assert '<html lang="nl">' in html and "minstens 4" in html
    assert html.count("<fieldset") == len(w.item_keys)
    assert html.count("<legend>") == len(w.item_keys)
    assert "<script" not in html and "http://" not in html.replace("http://testserver.local", "")
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["referrer-policy"] == "no-referrer"
    english = await client.get(f"/s/{w.tokens[0]}?lang=en")
    assert '<html lang="en">' in english.text and "at least 4 people" in english.text


async def test_stylesheet_is_served_from_our_own_origin(client: Any) -> None:
    r = await client.get("/assets/respond.css")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/css")
    assert ":focus-visible" in r.text


async def test_a_valid_form_submit_stores_one_ballot_and_thanks(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    w = await open_test_wave(pool, org.id)
    body = form_body(w.item_keys, 6, comment="We really do look back together.")
    r = await client.post(f"/s/{w.tokens[0]}", content=body, headers=FORM)
    assert r.status_code == 200 and "Thank you" in r.text
    ballot = await pool.fetchrow("SELECT * FROM ballots")
    assert ballot["answers"] == full_answers(w.item_keys, 6)
    assert ballot["comment"] == "We really do look back together."
    assert ballot["team_id"] == w.teams["Platform"]
    assert await stored(pool) == (1, 1)


async def test_used_token_gets_the_same_page_as_unknown_token(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    w = await open_test_wave(pool, org.id, locale="nl")
    await client.post(f"/s/{w.tokens[0]}", content=form_body(w.item_keys), headers=FORM)
    unknown = token_for(TEST_SECRET, __import__("uuid").uuid4())
    for method in ("get", "post"):
        kwargs = {"content": form_body(w.item_keys), "headers": FORM} if method == "post" else {}
        used = await getattr(client, method)(f"/s/{w.tokens[0]}", **kwargs)
        fake = await getattr(client, method)(f"/s/{unknown}", **kwargs)
        garbage = await getattr(client, method)("/s/not-a-token", **kwargs)
        assert used.status_code == fake.status_code == garbage.status_code == 404
        assert used.content == fake.content == garbage.content
        assert used.headers["cache-control"] == "no-store"
    assert await stored(pool) == (1, 1)


async def test_closed_wave_page_says_closed_whether_or_not_the_token_was_used(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    w = await open_test_wave(pool, org.id)
    await client.post(f"/s/{w.tokens[0]}", content=form_body(w.item_keys), headers=FORM)
    await close_test_wave(pool, org.id, w.wave_id)
    used = await client.get(f"/s/{w.tokens[0]}")
    unused = await client.get(f"/s/{w.tokens[1]}")
    assert used.status_code == unused.status_code == 410
    assert used.content == unused.content and "closed" in used.text
    late = await client.post(f"/s/{w.tokens[1]}", content=form_body(w.item_keys), headers=FORM)
    assert late.status_code == 410
    assert await pool.fetchval("SELECT count(*) FROM responses") == 1


async def test_a_wave_past_its_deadline_takes_no_answers_before_the_scheduler_closes_it(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    w = await open_test_wave(pool, org.id)
    await pool.execute(
        "UPDATE waves SET opens_at = now() - interval '8 days', closes_at = now() - interval '1 s'"
    )
    r = await client.post(f"/s/{w.tokens[0]}", content=form_body(w.item_keys), headers=FORM)
    assert r.status_code == 410
    assert await stored(pool) == (0, 0)


async def test_missing_and_out_of_range_answers_rerender_with_answers_kept(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    w = await open_test_wave(pool, org.id)
    first, second, *rest = w.item_keys
    fields = {f"item:{first}": "6", f"item:{second}": "99", "comment": "kept <3"}
    r = await client.post(f"/s/{w.tokens[0]}", content=urlencode(fields), headers=FORM)
    assert r.status_code == 422
    html = r.text
    assert f'name="item:{first}" value="6" required checked' in html
    assert "Please choose one of the offered answers." in html
    assert html.count("Please choose an answer.") == 2 * len(rest)  # summary + field
    assert "kept &lt;3</textarea>" in html
    assert await stored(pool) == (0, 0)
    ok = await client.post(f"/s/{w.tokens[0]}", content=form_body(w.item_keys), headers=FORM)
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("comment", "message"),
    [
        ("<script>alert(1)</script>", "without HTML tags"),
        ('<img src=x onerror="alert(1)">', "without HTML tags"),
        ("x" * 2001, "2,000 characters"),
        ("nul\x00byte", "cannot be stored"),
    ],
)
async def test_bad_comments_are_refused_escaped_and_nothing_stored(
    client: Any, pool: asyncpg.Pool, org: Org, comment: str, message: str
) -> None:
    w = await open_test_wave(pool, org.id)
    r = await client.post(
        f"/s/{w.tokens[0]}", content=form_body(w.item_keys, comment=comment), headers=FORM
    )
    assert r.status_code == 422 and message in r.text
    assert "<script>alert" not in r.text and "<img src=x" not in r.text
    assert await stored(pool) == (0, 0)


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"item%3Aa=%FF%FE", FORM, 400),  # percent-encoded invalid UTF-8
        (b"\xff\xfe=1", FORM, 400),  # raw invalid UTF-8
        (b'{"answers": {}}', {"Content-Type": "application/json"}, 415),
        (b"x=" + b"a" * 40_000, FORM, 413),
        (b"item:x=1&item:x=2", FORM, 400),
    ],
)
async def test_unreadable_form_posts_are_4xx_pages_and_write_nothing(
    client: Any, pool: asyncpg.Pool, org: Org, body: bytes, headers: dict[str, str], status: int
) -> None:
    w = await open_test_wave(pool, org.id)
    r = await client.post(f"/s/{w.tokens[0]}", content=body, headers=headers)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("text/html")
    assert await stored(pool) == (0, 0)


async def test_fields_that_are_not_items_of_the_wave_are_refused(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    w = await open_test_wave(pool, org.id)
    other = await pool.fetchval(
        "SELECT key FROM items WHERE org_id = $1 AND NOT key = ANY($2::text[]) LIMIT 1",
        org.id,
        w.item_keys,
    )
    for extra in (other, "no.such.item"):
        body = form_body(w.item_keys) + "&" + urlencode({f"item:{extra}": "3"})
        r = await client.post(f"/s/{w.tokens[0]}", content=body, headers=FORM)
        assert r.status_code == 422 and "could not be read" in r.text
    assert await stored(pool) == (0, 0)


async def test_fifty_concurrent_submits_with_one_token_store_exactly_one_ballot(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    w = await open_test_wave(pool, org.id)
    body = form_body(w.item_keys, 4)
    replies = await asyncio.gather(
        *(client.post(f"/s/{w.tokens[0]}", content=body, headers=FORM) for _ in range(50))
    )
    assert sorted(r.status_code for r in replies).count(200) == 1
    assert {r.status_code for r in replies} == {200, 404}
    assert await stored(pool) == (1, 1)


async def test_fifty_racing_connections_with_one_token_store_exactly_one_ballot(
    pool: asyncpg.Pool, org: Org, database_url: str
) -> None:
    w = await open_test_wave(pool, org.id)
    conns = [await asyncpg.connect(database_url) for _ in range(50)]
    try:
        from service.db import _init_connection

        for c in conns:
            await _init_connection(c)
        results = await asyncio.gather(
            *(submit(c, w.tokens[0], full_answers(w.item_keys), None) for c in conns)
        )
    finally:
        for c in conns:
            await c.close()
    statuses = [r.status for r in results]
    assert statuses.count("stored") == 1
    assert set(statuses) == {"stored", "unavailable"}
    assert await stored(pool) == (1, 1)


async def test_submits_racing_a_close_are_either_counted_or_refused(
    pool: asyncpg.Pool, org: Org
) -> None:
    w = await open_test_wave(pool, org.id, people=30)

    async def one(i: int) -> bool:
        # Each submit starts after a random number of turns of the event loop (not of the
        # clock), so they interleave with the close in a different order each run.
        for _ in range(secrets.randbelow(20)):
            await asyncio.sleep(0)
        outcome = await submit(pool, w.tokens[i], full_answers(w.item_keys), None)
        assert outcome.status in ("stored", "closed")
        return outcome.status == "stored"

    async def close_soon() -> bool:
        for _ in range(10):
            await asyncio.sleep(0)
        return await close_test_wave(pool, org.id, w.wave_id)

    *accepted, closed = await asyncio.gather(*(one(i) for i in range(30)), close_soon())
    assert closed
    assert await pool.fetchval("SELECT count(*) FROM ballots") == 0
    assert await pool.fetchval("SELECT count(*) FROM responses") == sum(accepted)
    assert await pool.fetchval("SELECT count(*) FROM invitations WHERE responded") == sum(accepted)


async def test_a_wave_item_removed_from_the_bank_mid_wave_does_not_lock_people_out(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    # The page shows the wave's items that are still in the bank, and the submit asks exactly
    # those: answering what the page showed is enough.
    w = await open_test_wave(pool, org.id)
    gone = w.item_keys[-1]
    await pool.execute("DELETE FROM items WHERE org_id = $1 AND key = $2", org.id, gone)
    page = await client.get(f"/s/{w.tokens[0]}")
    assert f"item:{gone}" not in page.text
    r = await client.post(f"/s/{w.tokens[0]}", content=form_body(w.item_keys[:-1]), headers=FORM)
    assert r.status_code == 200 and "Thank you" in r.text
    assert await stored(pool) == (1, 1)


# --- the JSON twin ------------------------------------------------------------------------------


async def test_json_twin_stores_a_response_and_refuses_a_second(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    w = await open_test_wave(pool, org.id)
    body = {"answers": full_answers(w.item_keys, 2), "comment": "fine"}
    r = await client.post(f"/api/v1/respond/{w.tokens[0]}", json=body)
    assert r.status_code == 201 and r.json() == {"status": "recorded"}
    again = await client.post(f"/api/v1/respond/{w.tokens[0]}", json=body)
    unknown = await client.post(f"/api/v1/respond/{'A' * 43}", json=body)
    assert again.status_code == unknown.status_code == 404
    assert again.json()["detail"] == unknown.json()["detail"]
    assert await stored(pool) == (1, 1)


@pytest.mark.parametrize(
    ("make_body", "status", "needle"),
    [
        (lambda keys: {"answers": {k: 8 for k in keys}}, 422, "outside the item's scale"),
        (lambda keys: {"answers": {keys[0]: 3}}, 422, "needs an answer"),
        (lambda keys: {"answers": {**{k: 3 for k in keys}, "zz.nope": 3}}, 422, "not an item"),
        (lambda keys: {"answers": {k: 3 for k in keys}, "comment": "<b>hi</b>"}, 422, "HTML"),
        (lambda keys: {"answers": {k: 3 for k in keys}, "comment": "x" * 2001}, 400, "schema"),
        (lambda keys: {"answers": {k: True for k in keys}}, 400, "schema"),
        (lambda keys: {"answers": {k: 3 for k in keys}, "who": "me"}, 400, "schema"),
        (lambda keys: {"answers": [3, 3, 3]}, 400, "schema"),
    ],
)
async def test_json_twin_names_the_problem_and_writes_nothing(
    client: Any, pool: asyncpg.Pool, org: Org, make_body: Any, status: int, needle: str
) -> None:
    w = await open_test_wave(pool, org.id)
    r = await client.post(f"/api/v1/respond/{w.tokens[0]}", json=make_body(w.item_keys))
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert needle in r.text
    assert await stored(pool) == (0, 0)


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"answers": {"a": 1}, "comment": "\xff"}', "application/json", 400),
        (b"answers=1", "application/x-www-form-urlencoded", 415),
        (b"{not json", "application/json", 400),
        (b"", "application/json", 400),
    ],
)
async def test_json_twin_refuses_bad_bytes_and_content_types(
    client: Any, pool: asyncpg.Pool, org: Org, body: bytes, content_type: str, status: int
) -> None:
    w = await open_test_wave(pool, org.id)
    r = await client.post(
        f"/api/v1/respond/{w.tokens[0]}", content=body, headers={"Content-Type": content_type}
    )
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/problem+json")
    assert await stored(pool) == (0, 0)


async def test_oversized_bodies_are_refused(client: Any, pool: asyncpg.Pool, org: Org) -> None:
    w = await open_test_wave(pool, org.id)
    huge = b'{"answers": {}, "comment": "' + b"x" * 2_000_000 + b'"}'
    r = await client.post(
        f"/api/v1/respond/{w.tokens[0]}", content=huge, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413
    assert await stored(pool) == (0, 0)


async def test_tokens_never_reach_a_log_line(
    client: Any, pool: asyncpg.Pool, org: Org, monkeypatch: Any
) -> None:
    import structlog

    from service import errors, observe
    from service.surveys.waves import lifecycle as waves

    captured = structlog.testing.CapturingLogger()
    for module in (observe, errors, waves):
        monkeypatch.setattr(
            module,
            "log",
            structlog.wrap_logger(captured, processors=[], wrapper_class=structlog.BoundLogger),
        )
    w = await open_test_wave(pool, org.id)
    await client.get(f"/s/{w.tokens[0]}")
    await client.post(f"/s/{w.tokens[0]}", content=b"garbage\xff", headers=FORM)
    await client.post(f"/s/{w.tokens[0]}", content=form_body(w.item_keys), headers=FORM)
    await client.post(f"/api/v1/respond/{w.tokens[1]}", json={"answers": {}})
    await client.get(f"/s/{w.tokens[1]}x")
    logged = repr(captured.calls)
    assert "/s/{token}" in logged and "/api/v1/respond/{token}" in logged
    assert not any(t in logged for t in w.tokens)
    assert not re.search(r"[A-Za-z0-9_-]{43}", logged)


# --- one rule set, one refusal ------------------------------------------------------------------


async def test_submit_names_every_problem_of_the_answers_and_stores_nothing(
    pool: asyncpg.Pool, org: Org
) -> None:
    w = await open_test_wave(pool, org.id)
    first, second, third, *rest = w.item_keys
    answers: dict[str, object] = {first: 99, second: "4", third: 3.5, "no.such.item": 3}
    outcome = await submit(pool, w.tokens[0], answers, None)
    assert outcome.status == "invalid"
    assert outcome.errors == {
        first: "err_range",
        second: "err_range",  # the form turns integers into numbers; any other text is refused
        third: "err_range",
        "no.such.item": "err_unknown",
        **{key: "err_missing" for key in rest},
    }
    odd = await submit(pool, w.tokens[0], {first: None, second: True}, None)
    assert odd.errors[first] == "err_missing" and odd.errors[second] == "err_range"
    assert await stored(pool) == (0, 0)
    ok = await submit(pool, w.tokens[0], full_answers(w.item_keys), "fine")
    assert ok.status == "stored" and ok.errors == {}


async def test_a_bad_comment_is_named_with_the_answers_problems_but_only_for_a_usable_link(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    w = await open_test_wave(pool, org.id)
    body = {"answers": {**full_answers(w.item_keys), w.item_keys[0]: 0}, "comment": "<b>x</b>"}
    r = await client.post(f"/api/v1/respond/{w.tokens[0]}", json=body)
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields == {f"answers.{w.item_keys[0]}", "comment"}
    unknown = await client.post(f"/api/v1/respond/{'A' * 43}", json=body)
    assert unknown.status_code == 404
    await close_test_wave(pool, org.id, w.wave_id)
    late = await client.post(f"/api/v1/respond/{w.tokens[0]}", json=body)
    assert late.status_code == 410
    assert await pool.fetchval("SELECT count(*) FROM responses") == 0


async def test_nul_characters_in_field_names_or_answers_are_refused_not_a_crash(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    w = await open_test_wave(pool, org.id)
    body = form_body(w.item_keys) + "&" + urlencode({"item:\x00": "3"})
    r = await client.post(f"/s/{w.tokens[0]}", content=body, headers=FORM)
    assert r.status_code == 422 and "could not be read" in r.text
    fields = {f"item:{k}": "3" for k in w.item_keys} | {f"item:{w.item_keys[0]}": "\x00"}
    r = await client.post(f"/s/{w.tokens[0]}", content=urlencode(fields), headers=FORM)
    assert r.status_code == 422 and "Please choose one of the offered answers." in r.text
    answers = {**full_answers(w.item_keys), "a\x00b": 3}
    r = await client.post(f"/api/v1/respond/{w.tokens[0]}", json={"answers": answers})
    assert r.status_code == 422 and "not an item" in r.text
    assert await stored(pool) == (0, 0)


async def test_a_submit_waiting_on_a_closing_wave_sees_it_closed_and_stores_nothing(
    pool: asyncpg.Pool, org: Org
) -> None:
    from service.analytics.rollup import rollup_wave
    from service.surveys.waves import close_wave

    w = await open_test_wave(pool, org.id)
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        try:
            assert await close_wave(conn, org.id, w.wave_id, after_close=rollup_wave)
            waiting = asyncio.create_task(
                submit(pool, w.tokens[0], full_answers(w.item_keys), None)
            )
            # The submit reaches PostgreSQL and waits there for the closing transaction's lock.
            await wait_until(lambda: _lock_waiters(pool), "the submit to wait for a lock")
            assert not waiting.done(), "the submit did not wait for the closing transaction"
        finally:
            await tx.commit()
    outcome = await waiting
    assert outcome.status == "closed"
    assert await stored(pool) == (0, 0)
    assert await pool.fetchval("SELECT count(*) FROM responses") == 0


async def _lock_waiters(pool: asyncpg.Pool) -> int:
    """How many sessions of this database wait for a lock that another one holds."""
    count: int = await pool.fetchval(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    return count
