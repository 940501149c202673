"""The question bank: the built-in items as data, and the org's items API."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import msgspec
import pytest

from service.surveys.pulses.bank import FOLLOW_UP_ITEM, builtin_items, load_bank
from service.surveys.pulses.models import InstrumentIn, InstrumentItem, ItemIn, ItemOut, Texts
from tests.factories import Org, make_leader_headers, make_pulse, make_team_tree

API = "/api/v1"
REQUIRED_DIMENSIONS = {"psychological_safety", "speaking_up", "trust", "learning"}


def test_bank_covers_the_required_dimensions_with_one_core_item_each() -> None:
    items = builtin_items()
    dims = {i.dimension for i in items}
    assert dims >= REQUIRED_DIMENSIONS
    for dim in dims:
        mine = [i for i in items if i.dimension == dim]
        assert 4 <= len(mine) <= 7, dim
        assert sum(i.core for i in mine) == 1, dim
        assert not next(i for i in mine if i.core).reverse, "a core item should read positively"


def test_psychological_safety_items_cover_each_named_topic_with_reverse_keying() -> None:
    by_key = {i.key: i for i in builtin_items()}
    topics = {
        "ps.mistakes": True,
        "ps.problems": False,
        "ps.different": True,
        "ps.risk": False,
        "ps.help": True,
        "ps.undermine": False,
        "ps.skills": False,
    }
    for key, reverse in topics.items():
        assert by_key[key].dimension == "psychological_safety"
        assert by_key[key].reverse is reverse, key
    for key in ("le.look_back", "le.feedback", "le.growth"):
        assert by_key[key].dimension == "learning"


def test_every_item_has_english_and_dutch_text_and_a_sane_scale() -> None:
    for i in builtin_items():
        assert set(i.texts) == {"en", "nl"}, i.key
        assert all(10 <= len(t) <= 200 and t.strip() == t for t in i.texts.values()), i.key
        assert i.texts["en"] != i.texts["nl"], i.key
        assert (i.scale_min, i.scale_max) == (1, 7)
        assert re.fullmatch(r"[a-z]{2}\.[a-z_]+", i.key), i.key


# Distinctive phrases of the best-known published team psychological safety scale. The bank
# covers the same topics in its own words; none of these may appear.
PUBLISHED_PHRASES = [
    "held against you",
    "bring up problems and tough issues",
    "reject others for being different",
    "safe to take a risk on this team",
    "difficult to ask other members",
    "deliberately act in a way that undermines",
    "unique skills and talents are valued and utilized",
]


def test_item_wording_is_our_own() -> None:
    for i in builtin_items():
        text = i.texts["en"].lower()
        for phrase in PUBLISHED_PHRASES:
            assert phrase not in text, (i.key, phrase)


def _write(folder: Path, body: str) -> Path:
    (folder / "x.toml").write_text(body)
    return folder


ONE = """
[[item]]
key = "xx.one"
dimension = "things"
core = true
texts.en = "One"
texts.nl = "Een"
"""


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (ONE + ONE, "duplicate item key"),
        (ONE.replace('texts.nl = "Een"\n', ""), "lacks text for nl"),
        (ONE.replace("core = true\n", ""), "exactly one core item"),
        (ONE + ONE.replace("xx.one", "xx.two"), "exactly one core item"),
        (ONE.replace("core = true", "colour = 'red'"), "x.toml"),
        (ONE.replace("xx.one", "Bad Key"), "x.toml"),
    ],
)
def test_a_broken_bank_file_fails_loudly(tmp_path: Path, body: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        load_bank(_write(tmp_path, body))


async def test_a_new_org_starts_with_the_whole_bank(pool: Any, org: Org) -> None:
    keys = {r["key"] for r in await pool.fetch("SELECT key FROM items WHERE org_id = $1", org.id)}
    # The bank, and the follow-up item Candor asks by itself of a team with a focus.
    assert keys == {i.key for i in builtin_items()} | {FOLLOW_UP_ITEM}


# --- items API -----------------------------------------------------------------------------


def _items(r: Any) -> list[ItemOut]:
    assert r.status_code in (200, 201), r.text
    return msgspec.json.decode(r.content, type=list[ItemOut])


def _post(client: Any, org: Org, path: str, body: msgspec.Struct | Any) -> Any:
    return client.post(
        API + path,
        content=msgspec.json.encode(body),
        headers={**org.headers, "content-type": "application/json"},
    )


async def test_items_can_be_listed_and_filtered_by_dimension(client: Any, org: Org) -> None:
    every = _items(await client.get(f"{API}/items", headers=org.headers))
    assert len(every) == len(builtin_items()) + 1  # with the follow-up item
    trust = _items(await client.get(f"{API}/items?dimension=trust", headers=org.headers))
    assert {i.dimension for i in trust} == {"trust"}
    assert sum(i.core for i in trust) == 1
    one = await client.get(f"{API}/items/ps.mistakes", headers=org.headers)
    assert one.status_code == 200 and one.json()["reverse"] is True


LICENSED = InstrumentIn(
    "Licensed team climate scale",
    [
        InstrumentItem(
            key="ltc.one",
            dimension="team_climate",
            texts=Texts("Licensed wording one.", "Gelicentieerde tekst een."),
            scale_min=1,
            scale_max=5,
        ),
        InstrumentItem(
            key="ltc.two",
            dimension="team_climate",
            texts=Texts("Licensed wording two.", "Gelicentieerde tekst twee."),
            scale_min=1,
            scale_max=5,
            reverse=True,
        ),
    ],
)


async def test_an_org_adds_its_own_item_and_a_whole_instrument(
    client: Any, org: Org, pool: Any
) -> None:
    item = ItemIn(
        key="acme.focus", dimension="focus", texts=Texts("I can focus.", "Ik kan me concentreren.")
    )
    r = await _post(client, org, "/items", item)
    assert r.status_code == 201, r.text
    out = msgspec.json.decode(r.content, type=ItemOut)
    assert (out.source, out.instrument, out.scale_max, out.core) == ("org", "custom", 7, False)

    added = _items(await _post(client, org, "/instruments", LICENSED))
    assert [(i.key, i.instrument, i.scale_max, i.reverse) for i in added] == [
        ("ltc.one", "Licensed team climate scale", 5, False),
        ("ltc.two", "Licensed team climate scale", 5, True),
    ]
    listed = _items(await client.get(f"{API}/items?dimension=team_climate", headers=org.headers))
    assert {i.key for i in listed} == {"ltc.one", "ltc.two"}


async def test_bad_item_bodies_are_4xx_and_store_nothing(client: Any, org: Org, pool: Any) -> None:
    before = await pool.fetchval("SELECT count(*) FROM items")
    good: dict[str, Any] = {
        "key": "acme.x",
        "dimension": "focus",
        "texts": {"en": "Text", "nl": "Tekst"},
    }
    bad: list[Any] = [
        {**good, "key": "Acme X"},
        {**good, "key": "ps.mine"},  # the built-in bank's namespace
        {**good, "key": "ps.mistakes"},
        {**good, "dimension": "Focus!"},
        {**good, "texts": {"en": "Text"}},
        {**good, "texts": {"en": "Text", "nl": "   "}},
        {**good, "texts": {"en": "Text", "nl": "Tekst", "de": "Text"}},
        {**good, "texts": {"en": "x" * 501, "nl": "Tekst"}},
        {**good, "scale_min": 5, "scale_max": 5},
        {**good, "scale_min": 0, "scale_max": 11, "reverse": "yes"},
        {**good, "scale_min": -1},
        {**good, "scale_min": 1, "scale_max": 12},
        {**good, "weight": 2},
        {k: v for k, v in good.items() if k != "texts"},
    ]
    for body in bad:
        r = await client.post(f"{API}/items", json=body, headers=org.headers)
        assert 400 <= r.status_code < 500, body
        assert r.headers["content-type"].startswith("application/problem+json")
    # One bad item spoils the whole instrument.
    broken = msgspec.structs.replace(
        LICENSED, items=[*LICENSED.items, msgspec.structs.replace(LICENSED.items[0], scale_max=1)]
    )
    assert (await _post(client, org, "/instruments", broken)).status_code == 400
    twice = msgspec.structs.replace(LICENSED, items=[LICENSED.items[0], LICENSED.items[0]])
    assert (await _post(client, org, "/instruments", twice)).status_code == 400
    assert await pool.fetchval("SELECT count(*) FROM items") == before


async def test_a_taken_key_is_a_conflict(client: Any, org: Org) -> None:
    assert (await _post(client, org, "/instruments", LICENSED)).status_code == 201
    assert (await _post(client, org, "/instruments", LICENSED)).status_code == 409


async def test_a_retired_item_leaves_the_default_list_but_keeps_its_key(
    client: Any, org: Org
) -> None:
    r = await client.post(f"{API}/items/su.silence/retire", headers=org.headers)
    assert r.status_code == 200 and r.json()["retired"] is True
    keys = {i.key for i in _items(await client.get(f"{API}/items", headers=org.headers))}
    assert "su.silence" not in keys
    every = _items(await client.get(f"{API}/items?include_retired=true", headers=org.headers))
    assert "su.silence" in {i.key for i in every}
    assert (
        await client.post(f"{API}/items/no.such/retire", headers=org.headers)
    ).status_code == 404


async def test_an_item_asked_by_an_active_pulse_cannot_be_retired(
    client: Any, org: Org, pool: Any
) -> None:
    t = await make_team_tree(pool, org.id, ["Eng"])
    await make_pulse(pool, org.id, [t["Eng"]], name="Weekly")
    r = await client.post(f"{API}/items/ps.risk/retire", headers=org.headers)
    assert r.status_code == 409 and "Weekly" in r.json()["detail"]
    assert await pool.fetchval("SELECT retired FROM items WHERE key = 'ps.risk'") is False


async def test_items_are_org_scoped_and_leaders_only_read(
    client: Any, org: Org, other_org: Org, pool: Any
) -> None:
    assert (await _post(client, org, "/instruments", LICENSED)).status_code == 201
    assert (await client.get(f"{API}/items/ltc.one", headers=other_org.headers)).status_code == 404
    r = await client.post(f"{API}/items/ltc.one/retire", headers=other_org.headers)
    assert r.status_code == 404
    # The other org may use the same key for its own item.
    assert (await _post(client, other_org, "/instruments", LICENSED)).status_code == 201

    t = await make_team_tree(pool, org.id, ["Eng"])
    leader = await make_leader_headers(pool, org.id, [t["Eng"]])
    assert (await client.get(f"{API}/items", headers=leader)).status_code == 200
    item = {"key": "acme.y", "dimension": "focus", "texts": {"en": "A text", "nl": "Een tekst"}}
    assert (await client.post(f"{API}/items", json=item, headers=leader)).status_code == 404
    assert (await client.post(f"{API}/items/ps.help/retire", headers=leader)).status_code == 404
    assert await pool.fetchval("SELECT count(*) FROM items WHERE retired") == 0
