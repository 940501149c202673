"""Pulse definitions: teams, core and rotating items, cadence, window and thresholds."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import msgspec
import pytest

from service.surveys.pulses import items_for_wave, next_wave_at
from service.surveys.pulses.bank import builtin_items
from service.surveys.pulses.models import PulseIn, PulseOut
from tests.factories import Org, make_leader_headers, make_pulse, make_team_tree

API = "/api/v1/pulses"
CORE = [i.key for i in builtin_items() if i.core]


async def _create(client: Any, org: Org, body: PulseIn | dict[str, Any]) -> Any:
    return await client.post(
        API,
        content=msgspec.json.encode(body),
        headers={**org.headers, "content-type": "application/json"},
    )


def _pulse(r: Any) -> PulseOut:
    assert r.status_code in (200, 201), r.text
    return msgspec.json.decode(r.content, type=PulseOut)


async def test_a_pulse_with_only_name_and_teams_gets_sensible_defaults(
    client: Any, org: Org, pool: Any
) -> None:
    t = await make_team_tree(pool, org.id, ["Eng"])
    p = _pulse(await _create(client, org, PulseIn(name="Pulse", team_ids=[t["Eng"]])))
    assert sorted(p.core_items) == sorted(CORE)
    assert set(p.rotating_items) == {i.key for i in builtin_items() if not i.core}
    assert (p.items_per_wave, p.cadence, p.cadence_weeks, p.open_days) == (5, "every_n_weeks", 2, 7)
    assert (p.k, p.comment_k, p.reminder_days, p.active) == (5, 10, [3, 5], True)
    assert p.next_wave_at == p.starts_at


async def test_an_explicit_pulse_is_stored_as_given(client: Any, org: Org, pool: Any) -> None:
    t = await make_team_tree(pool, org.id, {"Eng": {"Platform": {}}, "Sales": {}})
    starts = datetime(2030, 1, 7, 9, tzinfo=UTC)
    body = PulseIn(
        name="Monthly check",
        team_ids=[t["Eng"], t["Sales"]],
        core_items=["ps.risk", "le.look_back"],
        rotating_items=["ps.mistakes", "ps.help", "le.feedback"],
        items_per_wave=3,
        cadence="monthly",
        open_days=10,
        k=3,
        comment_k=3,
        reminder_days=[8, 2],
        starts_at=starts,
    )
    p = _pulse(await _create(client, org, body))
    assert (p.cadence, p.cadence_weeks, p.k, p.comment_k, p.reminder_days) == (
        "monthly",
        1,
        3,
        3,
        [2, 8],
    )
    assert p.starts_at == starts == p.next_wave_at
    got = _pulse(await client.get(f"{API}/{p.id}", headers=org.headers))
    assert got == p
    listed = msgspec.json.decode(
        (await client.get(API, headers=org.headers)).content, type=list[PulseOut]
    )
    assert [x.id for x in listed] == [p.id]


async def test_reminders_default_to_those_inside_a_short_window(
    client: Any, org: Org, pool: Any
) -> None:
    t = await make_team_tree(pool, org.id, ["Eng"])
    p = _pulse(
        await _create(client, org, {"name": "P", "team_ids": [str(t["Eng"])], "open_days": 4})
    )
    assert p.reminder_days == [3]


BAD_BODIES: list[tuple[dict[str, Any], str]] = [
    ({"cadence": "weekly", "open_days": 8}, "longer than the cadence"),
    ({"cadence": "every_n_weeks", "cadence_weeks": 2, "open_days": 15}, "longer than the cadence"),
    ({"cadence": "monthly", "open_days": 29}, ""),
    ({"cadence": "daily"}, ""),
    ({"cadence": "weekly", "cadence_weeks": 3}, "only applies"),
    ({"cadence": "every_n_weeks", "cadence_weeks": 1}, "2 or more"),
    ({"k": 2}, ""),
    ({"k": 8, "comment_k": 6}, "at least k"),
    ({"open_days": 5, "reminder_days": [3, 5]}, "inside the 5-day window"),
    ({"reminder_days": [3, 3]}, "twice"),
    ({"reminder_days": [0]}, ""),
    ({"items_per_wave": 2}, ""),
    ({"items_per_wave": 8}, ""),
    ({"core_items": ["ps.risk", "ps.help"]}, "One core item per dimension"),
    ({"core_items": ["ps.risk"], "rotating_items": ["tr.fair"]}, "none given for: trust"),
    ({"core_items": ["ps.risk", "no.such"]}, "Unknown items"),
    ({"core_items": ["ps.risk"], "rotating_items": ["ps.risk"]}, "more than once"),
    (
        {"core_items": ["ps.risk", "tr.fair", "su.ideas", "le.growth"], "items_per_wave": 3},
        "smaller than",
    ),
    (
        {"core_items": ["ps.risk"], "rotating_items": ["ps.help"], "items_per_wave": 3},
        "more than the 2",
    ),
    ({"core_items": CORE, "rotating_items": ["ps.help"], "items_per_wave": 4}, "never come round"),
    ({"core_items": ["Not A Key"]}, ""),
    ({"team_ids": []}, ""),
    ({"team_ids": [str(uuid4())]}, "Not teams of this org"),
    ({"starts_at": "2030-01-01T09:00:00"}, "time zone"),
    ({"name": ""}, ""),
    ({"colour": "blue"}, ""),
]


@pytest.mark.parametrize(("change", "phrase"), BAD_BODIES)
async def test_bad_pulse_bodies_are_4xx_naming_the_problem_and_store_nothing(
    client: Any, org: Org, pool: Any, change: dict[str, Any], phrase: str
) -> None:
    t = await make_team_tree(pool, org.id, ["Eng"])
    body = {"name": "P", "team_ids": [str(t["Eng"])], **change}
    r = await _create(client, org, body)
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert phrase in r.json()["detail"]
    assert await pool.fetchval("SELECT count(*) FROM pulses") == 0


async def test_teams_must_be_live_non_overlapping_teams_of_the_org(
    client: Any, org: Org, other_org: Org, pool: Any
) -> None:
    t = await make_team_tree(pool, org.id, {"Eng": {"Platform": {}}, "Old": {}})
    theirs = await make_team_tree(pool, other_org.id, ["Theirs"])
    await pool.execute("UPDATE teams SET archived_at = now() WHERE id = $1", t["Old"])
    for teams, phrase in (
        ([theirs["Theirs"]], "Not teams of this org"),
        ([t["Old"]], "Archived"),
        ([t["Eng"], t["Platform"]], "must not overlap"),
        ([t["Eng"], t["Eng"]], "twice"),
    ):
        r = await _create(client, org, PulseIn(name="P", team_ids=teams))
        assert r.status_code == 400 and phrase in r.json()["detail"], (teams, r.text)
    assert await pool.fetchval("SELECT count(*) FROM pulses") == 0


async def test_another_orgs_items_and_retired_items_are_refused(
    client: Any, org: Org, other_org: Org, pool: Any
) -> None:
    item = {"key": "gx.focus", "dimension": "focus", "texts": {"en": "Focus", "nl": "Focus"}}
    assert (
        await client.post("/api/v1/items", json=item, headers=other_org.headers)
    ).status_code == 201
    t = await make_team_tree(pool, org.id, ["Eng"])
    r = await _create(
        client,
        org,
        PulseIn(name="P", team_ids=[t["Eng"]], core_items=["gx.focus"], items_per_wave=3),
    )
    assert r.status_code == 400 and "gx.focus" in r.json()["detail"]
    await pool.execute(
        "UPDATE items SET retired = true WHERE org_id = $1 AND key = 'ps.risk'", org.id
    )
    r = await _create(
        client,
        org,
        PulseIn(name="P", team_ids=[t["Eng"]], core_items=["ps.risk"], items_per_wave=3),
    )
    assert r.status_code == 400 and "Retired" in r.json()["detail"]


async def test_patch_changes_only_what_is_sent_and_is_checked_as_a_whole(
    client: Any, org: Org, pool: Any
) -> None:
    t = await make_team_tree(pool, org.id, ["Eng"])
    p = _pulse(await _create(client, org, PulseIn(name="P", team_ids=[t["Eng"]])))
    r = await client.patch(
        f"{API}/{p.id}", json={"cadence": "weekly", "k": 7, "comment_k": 12}, headers=org.headers
    )
    q = _pulse(r)
    assert (q.cadence, q.cadence_weeks, q.k, q.comment_k, q.name) == ("weekly", 1, 7, 12, "P")
    before = await pool.fetchrow("SELECT * FROM pulses")
    for body in (
        {"open_days": 8},
        {"comment_k": 5},
        {"core_items": ["no.such"]},
        {"k": 1},
        {"bogus": 1},
    ):
        r = await client.patch(f"{API}/{p.id}", json=body, headers=org.headers)
        assert 400 <= r.status_code < 500, body
    assert await pool.fetchrow("SELECT * FROM pulses") == before


async def test_deactivated_pulse_is_no_longer_scheduled(client: Any, org: Org, pool: Any) -> None:
    t = await make_team_tree(pool, org.id, ["Eng"])
    pulse_id = await make_pulse(pool, org.id, [t["Eng"]])
    p = _pulse(await client.post(f"{API}/{pulse_id}/deactivate", headers=org.headers))
    assert (p.active, p.next_wave_at) == (False, None)
    active = (await client.get(f"{API}?active=true", headers=org.headers)).json()
    assert active == []


async def test_a_resumed_pulse_continues_at_its_next_slot_after_now(
    client: Any, org: Org, pool: Any
) -> None:
    t = await make_team_tree(pool, org.id, ["Eng"])
    start = datetime.now(UTC) - timedelta(days=10, hours=1)
    pulse_id = await make_pulse(pool, org.id, [t["Eng"]], cadence="weekly", starts_at=start)
    _pulse(await client.post(f"{API}/{pulse_id}/deactivate", headers=org.headers))
    p = _pulse(await client.post(f"{API}/{pulse_id}/activate", headers=org.headers))
    assert p.active and p.next_wave_at == start + timedelta(weeks=2)
    # A pulse whose items were retired meanwhile cannot resume until it is fixed.
    _pulse(await client.post(f"{API}/{pulse_id}/deactivate", headers=org.headers))
    await pool.execute("UPDATE items SET retired = true WHERE key = 'ps.risk'")
    r = await client.post(f"{API}/{pulse_id}/activate", headers=org.headers)
    assert r.status_code == 400 and "ps.risk" in r.json()["detail"]
    assert await pool.fetchval("SELECT active FROM pulses") is False


async def test_a_key_of_another_org_gets_404_on_a_pulse(
    client: Any, org: Org, other_org: Org, pool: Any
) -> None:
    t = await make_team_tree(pool, org.id, ["Eng"])
    pulse_id = await make_pulse(pool, org.id, [t["Eng"]])
    theirs = other_org.headers
    assert (await client.get(f"{API}/{pulse_id}", headers=theirs)).status_code == 404
    assert (await client.get(f"{API}/{pulse_id}/schedule", headers=theirs)).status_code == 404
    assert (
        await client.patch(f"{API}/{pulse_id}", json={"name": "X"}, headers=theirs)
    ).status_code == 404
    assert (await client.post(f"{API}/{pulse_id}/deactivate", headers=theirs)).status_code == 404
    assert (await client.post(f"{API}/{pulse_id}/activate", headers=theirs)).status_code == 404
    assert (await client.get(API, headers=theirs)).json() == []
    assert await pool.fetchval("SELECT (name, active)::text FROM pulses") == '("Team pulse",t)'


async def test_leaders_read_the_pulses_that_reach_their_teams_and_change_none(
    client: Any, org: Org, pool: Any
) -> None:
    t = await make_team_tree(pool, org.id, {"Eng": {"Platform": {}}, "Sales": {}})
    pulse_id = await make_pulse(pool, org.id, [t["Eng"], t["Sales"]])
    platform_lead = await make_leader_headers(pool, org.id, [t["Platform"]])
    r = await client.get(f"{API}/{pulse_id}", headers=platform_lead)
    assert r.status_code == 200
    # The leader sees that the pulse reaches them, not which other roots it covers.
    assert r.json()["team_ids"] == []
    sales_lead = await make_leader_headers(pool, org.id, [t["Sales"]])
    assert (await client.get(f"{API}/{pulse_id}", headers=sales_lead)).json()["team_ids"] == [
        str(t["Sales"])
    ]
    other = await make_team_tree(pool, org.id, ["Finance"])
    finance_lead = await make_leader_headers(pool, org.id, [other["Finance"]])
    assert (await client.get(f"{API}/{pulse_id}", headers=finance_lead)).status_code == 404
    assert (await client.get(API, headers=finance_lead)).json() == []
    for method, path, kwargs in (
        ("post", API, {"json": {"name": "Mine", "team_ids": [str(t["Platform"])]}}),
        ("patch", f"{API}/{pulse_id}", {"json": {"name": "Mine"}}),
        ("post", f"{API}/{pulse_id}/deactivate", {}),
        ("post", f"{API}/{pulse_id}/activate", {}),
        ("get", f"{API}/{pulse_id}/schedule", {}),
    ):
        r = await getattr(client, method)(path, headers=platform_lead, **kwargs)
        assert r.status_code == 404, (method, path)
    assert await pool.fetchval("SELECT (count(*), min(name))::text FROM pulses WHERE active") == (
        '(1,"Team pulse")'
    )


# --- the pure schedule -----------------------------------------------------------------------


class _P(msgspec.Struct):
    core_items: list[str]
    rotating_items: list[str]
    items_per_wave: int
    cadence: str = "weekly"
    cadence_weeks: int = 1
    starts_at: datetime = datetime(2030, 1, 31, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("n_rotating", "per_wave"), [(1, 3), (5, 4), (7, 5), (19, 7), (3, 7), (6, 4)]
)
def test_every_rotating_item_comes_round_and_core_items_are_always_asked(
    n_rotating: int, per_wave: int
) -> None:
    core = ["c.one", "c.two"]
    rotating = [f"r.{i}" for i in range(n_rotating)]
    pulse = _P(core, rotating, per_wave)
    width = min(per_wave - len(core), n_rotating)
    seen: set[str] = set()
    for seq in range(1, math.ceil(n_rotating / width) + 1):
        keys = items_for_wave(pulse, seq)
        assert keys[:2] == core
        assert len(keys) == len(set(keys)) == len(core) + width
        assert items_for_wave(pulse, seq) == keys  # deterministic
        seen |= set(keys[2:])
    assert seen == set(rotating)


def test_consecutive_waves_ask_different_rotating_items_when_there_are_enough() -> None:
    pulse = _P(["c"], [f"r.{i}" for i in range(8)], 5)
    for seq in range(1, 20):
        assert not set(items_for_wave(pulse, seq)[1:]) & set(items_for_wave(pulse, seq + 1)[1:])


def test_a_pulse_without_rotating_items_asks_its_core_items() -> None:
    assert items_for_wave(_P(["a", "b", "c"], [], 3), 9) == ["a", "b", "c"]


async def test_items_for_wave_reads_a_database_row_too(pool: Any, org: Org) -> None:
    t = await make_team_tree(pool, org.id, ["Eng"])
    pulse_id = await make_pulse(pool, org.id, [t["Eng"]])
    row = await pool.fetchrow("SELECT * FROM pulses WHERE id = $1", pulse_id)
    keys = items_for_wave(row, 1)
    assert keys[: len(CORE)] == list(row["core_items"]) and len(keys) == row["items_per_wave"]
    assert items_for_wave(dict(row), 1) == keys


def test_next_wave_weekly_and_every_n_weeks() -> None:
    start = datetime(2030, 1, 7, 9, tzinfo=UTC)
    weekly = _P([], [], 3, "weekly", 1, start)
    assert next_wave_at(weekly, start - timedelta(days=30)) == start
    assert next_wave_at(weekly, start) == start + timedelta(weeks=1)
    assert next_wave_at(weekly, start + timedelta(days=6)) == start + timedelta(weeks=1)
    # A scheduler that was down for a month skips the missed slots instead of catching up.
    assert next_wave_at(weekly, start + timedelta(days=31)) == start + timedelta(weeks=5)
    fortnightly = _P([], [], 3, "every_n_weeks", 2, start)
    assert next_wave_at(fortnightly, start) == start + timedelta(weeks=2)
    assert next_wave_at(fortnightly, start + timedelta(weeks=2)) == start + timedelta(weeks=4)


def test_next_wave_monthly_keeps_the_day_and_clamps_short_months() -> None:
    start = datetime(2030, 1, 31, 9, tzinfo=UTC)
    monthly = _P([], [], 3, "monthly", 1, start)
    at, seen = start, []
    for _ in range(4):
        at = next_wave_at(monthly, at)
        seen.append(at.date().isoformat())
    assert seen == ["2030-02-28", "2030-03-31", "2030-04-30", "2030-05-31"]
    assert next_wave_at(monthly, datetime(2030, 12, 31, 9, 0, 1, tzinfo=UTC)) == datetime(
        2031, 1, 31, 9, tzinfo=UTC
    )


async def test_schedule_preview_lists_upcoming_waves_with_their_items(
    client: Any, org: Org, pool: Any
) -> None:
    t = await make_team_tree(pool, org.id, ["Eng"])
    start = datetime(2030, 1, 7, 9, tzinfo=UTC)
    p = _pulse(
        await _create(
            client, org, PulseIn(name="P", team_ids=[t["Eng"]], cadence="weekly", starts_at=start)
        )
    )
    waves = (await client.get(f"{API}/{p.id}/schedule?waves=3", headers=org.headers)).json()
    assert [w["seq"] for w in waves] == [1, 2, 3]
    assert [w["opens_at"][:10] for w in waves] == ["2030-01-07", "2030-01-14", "2030-01-21"]
    assert [w["item_keys"] for w in waves] == [items_for_wave(p, s) for s in (1, 2, 3)]
    assert (
        await client.get(f"{API}/{p.id}/schedule?waves=0", headers=org.headers)
    ).status_code == 400
