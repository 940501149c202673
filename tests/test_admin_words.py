"""The admin pages speak the reader's language: every refusal code and every code of the
reporting plan has words in English and Dutch, the English words a page builds from a plan's
codes are the API's own, and no admin page in Dutch shows an English reason."""

from __future__ import annotations

import html
import re
import string
from typing import Any
from urllib.parse import urlencode
from uuid import UUID, uuid4

import asyncpg
import pytest

from service.console import i18n
from service.console.admin import words
from service.guard.plan import PlanTeam
from service.guard.preview import SAID_CODES, PlanPreview, Said, preview_plan
from service.surveys.pulses.models import DraftPreview
from tests.factories import Signed, make_people, signed_in
from tests.worlds import ConsoleWorld, console_world

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _both(key: str) -> tuple[str, str]:
    return i18n.t("en", key), i18n.t("nl", key)


@pytest.mark.parametrize("code", words.REFUSAL_CODES)
def test_every_refusal_code_has_words_in_both_languages(code: str) -> None:
    en, nl = _both(words.refusal_key(code))
    assert en and nl and en != nl
    assert _fields(en) == _fields(nl), code


def test_every_plan_code_has_words_in_both_languages() -> None:
    assert set(words.PLAN_KEYS) == set(SAID_CODES)
    used = {k for keys in words.PLAN_KEYS.values() for k in keys}
    for key in used | {"plan_person", "plan_people", "plan_and", "plan_direct"}:
        en, nl = _both(key)
        assert en != nl and _fields(en) == _fields(nl), key


def _team(name: str, invited: int, parent: PlanTeam | None = None, **more: Any) -> PlanTeam:
    return PlanTeam(uuid4(), parent.id if parent else None, name, invited, **more)


def _plans() -> list[PlanPreview]:
    """Trees that make every code of the plan the guard can make."""
    product = _team("Product", 0)
    eng = _team("Eng", 4, product)
    data = _team("Data", 7, product)
    design = _team("Design", 3, product, report_with=data.id)
    web = _team("Web", 2, eng)
    ios = _team("iOS", 9, eng)
    pooled = preview_plan([product, eng, data, design, web, ios], 5)
    lone = _team("Lone", 2)
    other = _team("Other", 6)
    reach = preview_plan([lone], 5), preview_plan([lone, other], 5)
    top = _team("Top", 0)
    a = _team("A", 6, top)
    b = _team("B", 6, top)
    tiny = _team("Tiny", 2, a)
    big = _team("Big", 8, a)
    # Tiny pools with A's own members; its choice of B (not a sibling) is ignored.
    outside = preview_plan([_team("Solo", 2, report_with=uuid4())], 5)
    eng2 = _team("Eng", 2)
    platform = _team("Platform", 0, eng2)
    below = [eng2, platform, _team("A", 6, platform), _team("B", 7, platform)]
    left = preview_plan([*below, top, a, b, tiny, big, _team("Away", 1, report_with=uuid4())], 5)
    nobody = preview_plan([_team("Empty", 0)], 5)
    return [pooled, *reach, left, outside, nobody]


def test_the_english_a_page_builds_from_the_codes_is_the_apis_own() -> None:
    seen: set[str] = set()
    for plan in _plans():
        for g in plan.groups:
            seen.add(g.why.code)
            assert words.reason(g.why, "en") == g.reason
            assert words.group_name(g.why.group, "en") == g.name
        assert [words.warning(s, "en") for s in plan.notes] == plan.warnings
        seen |= {s.code for s in plan.notes}
    # The plan never pools groups that are each large enough; the words exist all the same.
    assert set(SAID_CODES) - seen == {"pooled_as_is"}
    as_is = Said(code="pooled_as_is", k=5, group=[], invited=12)
    assert words.reason(as_is, "nl") == "Samen getoond als “” (12 mensen)"


# English that a plan reason, a warning or a refusal is made of; none may show on a Dutch page.
ENGLISH = (
    "Reported on its own",
    "reported together",
    "Reported together",
    "fewer than",
    "Can never report",
    "can never be reported",
    "direct members",
    "is ignored",
    "Nobody to invite",
    "must be at least",
    "Not teams of this org",
    "already has an open wave",
    "is paused",
    " people",
    " person",
    " the ",
    " and ",
    " with ",
)
_IN_ENGLISH = re.compile(r'<(\w+)[^>]*\blang="en"[^>]*>.*?</\1>', re.S)


def _dutch_only(page: str) -> str:
    """The page's words without what is English on purpose (an item's English wording)."""
    body = page.split("<body", 1)[1]
    body = re.sub(r"<(script|style)\b.*?</\1>", "", _IN_ENGLISH.sub("", body), flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def test_the_nl_plan_words_have_no_english() -> None:
    for plan in _plans():
        draft = DraftPreview(
            k=plan.k,
            comment_k=10,
            invited=plan.invited,
            teams=[],
            groups=plan.groups,
            never=[],
            overlap=[],
            first_wave_at=__import__("datetime").datetime(2031, 3, 3),
            warnings=plan.warnings,
            notes=plan.notes,
        )
        shown = words.plan_words(draft, "nl")
        text = " ".join([*(g.reason for g in shown.groups), *shown.warnings, *shown.never])
        for english in ENGLISH:
            assert english not in f" {text} ", (english, text)


async def _nl_admin(pool: asyncpg.Pool) -> tuple[ConsoleWorld, Signed]:
    w = await console_world(pool)
    await pool.execute("UPDATE people SET locale = 'nl' WHERE id = $1", w.admin)
    return w, await signed_in(pool, w.org.id, w.admin)


async def _post(client: Any, path: str, signed: Signed, fields: list[tuple[str, str]]) -> Any:
    return await client.post(
        path,
        content=urlencode(fields).encode(),
        headers={**signed.headers, **FORM},
        follow_redirects=False,
    )


def _form(admin: Signed, teams: list[UUID], core: list[str], **more: str) -> list[tuple[str, str]]:
    fields = {
        "name": "Ops pulse",
        "items_per_wave": str(max(3, len(core))),
        "cadence": "every_n_weeks",
        "cadence_weeks": "2",
        "open_days": "7",
        "k": "5",
        "comment_k": "10",
        "reminder_days": "3, 5",
        "starts_on": "2031-03-03",
        "starts_time": "09:00",
        "action": "preview",
        **more,
    }
    return [
        ("csrf", admin.csrf),
        *[("team", str(t)) for t in teams],
        *[(f"item:{k}", "core") for k in core],
        *fields.items(),
    ]


def _no_english(path: str, page: str) -> None:
    text = f" {_dutch_only(page)} "
    found = [e for e in ENGLISH if e in text]
    assert not found, (path, found, text[:4000])


async def test_every_admin_page_in_dutch_has_no_english_reason(
    client: Any, pool: asyncpg.Pool
) -> None:
    w, admin = await _nl_admin(pool)
    core = [
        r["key"]
        for r in await pool.fetch(
            "SELECT DISTINCT ON (dimension) key FROM items WHERE org_id = $1 AND NOT retired"
            " AND source = 'builtin' AND key <> 'ft.did_try' ORDER BY dimension, key",
            w.org.id,
        )
    ]
    pulse = await pool.fetchval("SELECT id FROM pulses WHERE org_id = $1", w.org.id)
    wave = await pool.fetchval(
        "SELECT id FROM waves WHERE org_id = $1 ORDER BY seq DESC LIMIT 1", w.org.id
    )
    pages = [
        "/console/admin",
        "/console/admin/pulses",
        "/console/admin/pulses/new",
        f"/console/admin/pulses/{pulse}",
        "/console/admin/waves",
        f"/console/admin/waves/{wave}",
        "/console/admin/keys",
        "/console/admin/widgets",
        "/console/admin/audit",
    ]
    for path in pages:
        r = await client.get(path, headers=admin.headers)
        assert r.status_code == 200, path
        _no_english(path, r.text)
        if path.endswith(str(wave)):  # a closed wave's response rate, with a decimal comma
            assert re.search(r"\(\d+,\d%\)", r.text), r.text
    new = "/console/admin/pulses/new"
    posts = [
        _form(admin, [w.teams["Product"]], core),  # Data & Design pooled, Eng's own members
        _form(admin, [w.teams["Design"]], core),  # can never report
        _form(admin, [w.teams["Design"], w.teams["Data"]], core),  # two roots
        _form(admin, [w.teams["Product"]], core, k="7", comment_k="6"),
        _form(admin, [w.teams["Product"]], core, reminder_days="9"),
        _form(admin, [w.teams["Product"]], core, open_days="20"),
        _form(admin, [w.teams["Product"]], core, k="2", comment_k="2"),
        _form(admin, [w.teams["Product"], w.teams["Data"]], core),
        _form(admin, [UUID(int=5)], core),
        _form(admin, [w.teams["Product"]], core, action="save"),  # overlap: confirm box
    ]
    for fields in posts:
        r = await _post(client, new, admin, fields)
        assert r.status_code in (200, 409, 422), (fields, r.status_code)
        assert "De puls is niet opgeslagen" in r.text or "Voorbeeld" in r.text
        _no_english(new, r.text)
    # Product's own members (it has sub-teams) make a group the plan names in English.
    await make_people(pool, w.org.id, w.teams["Product"], 2)
    opened = await _post(
        client, "/console/admin/waves/open", admin, [("csrf", admin.csrf), ("pulse", str(pulse))]
    )
    assert opened.status_code == 303
    shown = await client.get(opened.headers["location"], headers=admin.headers)
    assert "Product (directe leden)" in shown.text
    again = await _post(
        client, "/console/admin/waves/open", admin, [("csrf", admin.csrf), ("pulse", str(pulse))]
    )
    assert again.status_code == 409 and "heeft al een open ronde" in again.text
    _no_english("/console/admin/waves/open", again.text)
    # Refusals that are whole pages (a pulse or wave that is not there, a stale form) too.
    for path in ("/console/admin/pulses/nope", f"/console/admin/waves/{pulse}"):
        r = await client.get(path, headers=admin.headers)
        assert r.status_code == 404 and 'lang="nl"' in r.text, path
        _no_english(path, r.text)
    stale = await _post(client, new, admin, [("csrf", "stale"), ("name", "x")])
    assert stale.status_code == 403
    _no_english(new, stale.text)
    location = opened.headers["location"]
    for path in (location, location.split("?")[0] + "/close"):
        r = await client.get(path, headers=admin.headers)
        assert r.status_code == 200, path
        _no_english(path, r.text)
