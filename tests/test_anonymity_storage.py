"""Unlinkable storage: after a wave closes, nothing in a full dump of the database (rows, their
order, their ids, their transaction ids) tells which invitation produced which response or
comment better than chance; and the anonymous tables cannot even hold who or when."""

from __future__ import annotations

import random
from typing import Any
from uuid import UUID

import asyncpg
import numpy as np

from service.surveys.respond import token_for
from service.surveys.waves import open_wave
from tests.factories import TEST_SECRET, Org
from tests.worlds import close_test_wave, open_test_wave

N = 40  # respondents per trial
TRIALS = 6


def spearman(a: list[int], b: list[int]) -> float:
    ra = np.argsort(np.argsort(a))
    rb = np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def encode(i: int, keys: list[str]) -> dict[str, int]:
    """Answers that identify submission `i` (so the test, not an attacker, can tell them apart)."""
    answers = {k: 4 for k in keys}
    answers[keys[0]] = i // 49 + 1
    answers[keys[1]] = i // 7 % 7 + 1
    answers[keys[2]] = i % 7 + 1
    return answers


def decode(answers: dict[str, int], keys: list[str]) -> int:
    return (answers[keys[0]] - 1) * 49 + (answers[keys[1]] - 1) * 7 + answers[keys[2]] - 1


async def dump(pool: asyncpg.Pool, table: str, wave_id: UUID) -> list[dict[str, Any]]:
    """Rows as a dump would return them: physical order, with ctid and xmin."""
    rows = await pool.fetch(
        f"SELECT ctid::text AS ctid, xmin::text::bigint AS xmin, * FROM {table} WHERE wave_id = $1",
        wave_id,
    )
    return [dict(r) for r in rows]


async def run_wave(
    client: Any, pool: asyncpg.Pool, org: Org, wave_id: UUID, keys: list[str], n: int = N
) -> dict[str, Any]:
    """Submit N responses in a random, known order; return what the test knows about them."""
    invitations = await pool.fetch(
        "SELECT id FROM invitations WHERE wave_id = $1 ORDER BY random() LIMIT $2", wave_id, n
    )
    order = [r["id"] for r in invitations]  # order[i] submitted i-th
    for i, inv_id in enumerate(order):
        r = await client.post(
            f"/api/v1/respond/{token_for(TEST_SECRET, inv_id)}",
            json={"answers": encode(i, keys), "comment": f"note {i}"},
        )
        assert r.status_code == 201, r.text
    return {"order": order}


def score(stored_submission_indexes: list[int]) -> float:
    """Spearman correlation between position in storage and submission order."""
    return spearman(list(range(len(stored_submission_indexes))), stored_submission_indexes)


async def test_a_full_dump_after_close_links_no_invitation_to_its_response(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    first = await open_test_wave(pool, org.id, people=N + 5)
    pulse_id, keys = first.pulse_id, first.item_keys
    wave_id = first.wave_id
    rho: dict[str, list[float]] = {"rows": [], "ids": [], "comments": [], "comment_ids": []}
    matched_by_invitation_order = 0
    live_matched = 0
    for trial in range(TRIALS):
        if trial:
            async with pool.acquire() as conn:
                wave_id = await open_wave(conn, org.id, pulse_id, secret=TEST_SECRET)
            keys = list(await pool.fetchval("SELECT item_keys FROM waves WHERE id = $1", wave_id))
        known = await run_wave(client, pool, org, wave_id, keys)
        position_of_invitation = {inv: i for i, inv in enumerate(known["order"])}

        # The control: while the wave is open, the ballot box and the invitations, dumped in
        # physical order, line up with the order people answered. The measure can see a leak.
        live_ballots = [decode(b["answers"], keys) for b in await dump(pool, "ballots", wave_id)]
        live_invs = [
            position_of_invitation[r["id"]]
            for r in sorted(await dump(pool, "invitations", wave_id), key=lambda r: r["xmin"])
            if r["responded"]
        ]
        live_matched += sum(a == b for a, b in zip(live_invs, live_ballots, strict=True))

        assert await close_test_wave(pool, org.id, wave_id)

        responses = await dump(pool, "responses", wave_id)
        comments = await dump(pool, "comments", wave_id)
        invitations = await dump(pool, "invitations", wave_id)
        assert len(responses) == len(comments) == N
        by_row = [decode(r["answers"], keys) for r in responses]
        by_id = [decode(r["answers"], keys) for r in sorted(responses, key=lambda r: r["id"])]
        c_by_row = [int(c["body"].split()[1]) for c in comments]
        c_by_id = [int(c["body"].split()[1]) for c in sorted(comments, key=lambda c: c["id"])]
        rho["rows"].append(score(by_row))
        rho["ids"].append(score(by_id))
        rho["comments"].append(score(c_by_row))
        rho["comment_ids"].append(score(c_by_id))

        # Every row written at close carries the close's transaction id, invitations included.
        xmins = {r["xmin"] for r in responses + comments + invitations}
        assert len(xmins) == 1

        # The attacker's best join: the k-th responded invitation (dump order) made the k-th
        # response (dump order). Chance gets about one of N right.
        responded = [position_of_invitation[r["id"]] for r in invitations if r["responded"]]
        matched_by_invitation_order += sum(a == b for a, b in zip(responded, by_row, strict=True))

    assert live_matched >= TRIALS * N // 2, "control: a live dump should expose the order"
    for name, values in rho.items():
        mean = sum(values) / len(values)
        # Under chance each rho has sd ~ 1/sqrt(N-1) = 0.16, the mean of 6 about 0.065.
        assert abs(mean) < 0.3, (name, values)
        assert max(abs(v) for v in values) < 0.65, (name, values)
    # Chance: Poisson with mean TRIALS (one hit per trial); a leak would give ~N per trial.
    assert matched_by_invitation_order <= TRIALS + 4 * TRIALS**0.5 + 2


async def test_resealing_an_open_box_unlinks_what_a_backup_taken_mid_wave_would_show(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    from service.surveys.waves import reseal_open_waves

    n = 60
    w = await open_test_wave(pool, org.id, people=n)
    known = await run_wave(client, pool, org, w.wave_id, w.item_keys, n=n)
    position = {inv: i for i, inv in enumerate(known["order"])}

    def linked_by_xmin(ballots: list[dict[str, Any]], invitations: list[dict[str, Any]]) -> int:
        by_xmin = {r["xmin"]: position[r["id"]] for r in invitations if r["responded"]}
        return sum(by_xmin.get(b["xmin"]) == decode(b["answers"], w.item_keys) for b in ballots)

    before = await dump(pool, "ballots", w.wave_id)
    invitations = await dump(pool, "invitations", w.wave_id)
    assert linked_by_xmin(before, invitations) == n  # the live-database limit, before a reseal
    assert score([decode(b["answers"], w.item_keys) for b in before]) > 0.9

    assert await reseal_open_waves({"pool": pool}) == 1

    after = await dump(pool, "ballots", w.wave_id)
    invitations = await dump(pool, "invitations", w.wave_id)
    assert sorted(decode(b["answers"], w.item_keys) for b in after) == list(range(n))
    assert len({r["xmin"] for r in after + invitations}) == 1
    assert linked_by_xmin(after, invitations) <= 1  # one shared xmin: no way to pick
    assert abs(score([decode(b["answers"], w.item_keys) for b in after])) < 0.45
    assert await close_test_wave(pool, org.id, w.wave_id)
    assert await pool.fetchval("SELECT count(*) FROM responses") == n


async def test_no_table_refers_to_a_response_or_comment(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    """Every table, dumped whole: response and comment ids occur only in their own rows, and no
    table about people or invitations holds a comment's text."""
    w = await open_test_wave(pool, org.id, people=12)
    await run_wave(client, pool, org, w.wave_id, w.item_keys, n=10)
    await close_test_wave(pool, org.id, w.wave_id)
    ids = [
        str(r["id"])
        for r in await pool.fetch("SELECT id FROM responses UNION ALL SELECT id FROM comments")
    ]
    tables = [
        r["tablename"]
        for r in await pool.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    ]
    assert {"responses", "comments", "invitations", "outbox"} <= set(tables)
    for table in tables:
        text = " ".join(r[0] for r in await pool.fetch(f"SELECT t::text FROM {table} t"))
        if table not in ("responses", "comments"):
            assert not any(i in text for i in ids), table
        if table in ("people", "invitations", "outbox", "opt_outs", "ballots"):
            assert "note 3" not in text, table


async def test_sorting_by_any_column_gives_the_attacker_nothing_either(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    w = await open_test_wave(pool, org.id, people=N)
    known = await run_wave(client, pool, org, w.wave_id, w.item_keys)
    await close_test_wave(pool, org.id, w.wave_id)
    invitations = await dump(pool, "invitations", w.wave_id)
    responses = await dump(pool, "responses", w.wave_id)
    position = {inv: i for i, inv in enumerate(known["order"])}
    stored = [decode(r["answers"], w.item_keys) for r in responses]
    for key in ("ctid", "id", "person_id", "token_hash"):
        attacker = [position[r["id"]] for r in sorted(invitations, key=lambda r: str(r[key]))]
        hits = sum(a == b for a, b in zip(attacker, stored, strict=True))
        assert hits <= 6, (key, hits)  # chance: ~1, P(>6) < 1e-4


_IDENTIFYING_NAME = (
    "person",
    "people",
    "token",
    "invitation",
    "email",
    "ip",
    "addr",
    "agent",
    "user",
    "time",
    "date",
    "_at",
    "created",
    "submitted",
    "seq",
    "session",
    "cookie",
)
_IDENTIFYING_TYPE = {
    "timestamp with time zone",
    "timestamp without time zone",
    "date",
    "time without time zone",
    "time with time zone",
    "interval",
    "inet",
    "cidr",
    "macaddr",
    "bytea",
}


async def test_the_anonymous_tables_have_no_column_that_could_hold_who_or_when(
    pool: asyncpg.Pool,
) -> None:
    columns = await pool.fetch(
        """
        SELECT table_name, column_name, data_type, column_default
        FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name IN ('ballots', 'responses', 'comments')
        ORDER BY table_name, ordinal_position
        """
    )
    found = {(c["table_name"], c["column_name"]) for c in columns}
    assert found == {
        ("ballots", "org_id"),
        ("ballots", "wave_id"),
        ("ballots", "team_id"),
        ("ballots", "answers"),
        ("ballots", "comment"),
        ("responses", "org_id"),
        ("responses", "wave_id"),
        ("responses", "id"),
        ("responses", "team_id"),
        ("responses", "answers"),
        ("comments", "org_id"),
        ("comments", "wave_id"),
        ("comments", "id"),
        ("comments", "team_id"),
        ("comments", "body"),
    }
    for c in columns:
        name = c["column_name"]
        assert not any(word in name for word in _IDENTIFYING_NAME if name != "wave_id"), name
        assert c["data_type"] not in _IDENTIFYING_TYPE, name
        default = c["column_default"] or ""
        assert "now()" not in default and "nextval" not in default and "CURRENT" not in default
    # No trigger may add what the columns leave out.
    triggers = await pool.fetchval(
        """SELECT count(*) FROM information_schema.triggers
           WHERE event_object_table IN ('ballots', 'responses', 'comments')"""
    )
    assert triggers == 0


async def test_a_ballot_holds_only_wave_team_answers_and_comment(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    w = await open_test_wave(pool, org.id)
    answers = {k: random.randint(1, 7) for k in w.item_keys}
    r = await client.post(
        f"/api/v1/respond/{w.tokens[0]}",
        json={"answers": answers, "comment": "hello"},
        headers={"User-Agent": "Spy/1.0", "X-Forwarded-For": "203.0.113.9"},
    )
    assert r.status_code == 201
    row = dict(await pool.fetchrow("SELECT * FROM ballots"))
    assert row == {
        "org_id": org.id,
        "wave_id": w.wave_id,
        "team_id": w.teams["Platform"],
        "answers": answers,
        "comment": "hello",
    }
    everything = repr(row)
    assert "Spy" not in everything and "203.0.113.9" not in everything
