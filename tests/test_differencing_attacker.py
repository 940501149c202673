"""A differencing attacker: everything a key can fetch for a wave, solved as linear equations.

Each published cell says "the respondents (or the answers) of these teams add up to this". The
unknowns are each team's own count and own sum. A hidden team's number is learned exactly when
its indicator vector lies in the row space of the published equations, whatever combination of
additions and subtractions the attacker tries. We check that it never does, for 200+ generated
org charts at guard level, and end to end through the HTTP API for a few more.

Teams with nobody answering are treated as known zeros (the attacker is given them for free),
which only makes the attacker stronger. Out of scope: reasoning with inequalities (a team's
size as an upper bound on its count), which no linear combination captures.
"""

from __future__ import annotations

import csv
import io
import os
import random
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

import asyncpg
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.guard import GroupKey, plan_wave, wave_tree
from tests.factories import make_leader_headers, make_org, make_people, make_pulse, make_team_tree
from tests.worlds import answered_wave


class Chart:
    """A generated org chart: parents, each team's own respondents, and derived group sets."""

    def __init__(self, parents: Sequence[int | None], own: Sequence[int]) -> None:
        self.ids = [UUID(int=i + 1) for i in range(len(parents))]
        self.parents = list(parents)
        self.own = dict(zip(self.ids, own, strict=True))
        kids: dict[int, list[int]] = {i: [] for i in range(len(parents))}
        for i, p in enumerate(parents):
            if p is not None:
                kids[p].append(i)
        self.atoms: dict[GroupKey, set[UUID]] = {}
        for i, t in enumerate(self.ids):
            below, stack = set(), [i]
            while stack:
                j = stack.pop()
                below.add(self.ids[j])
                stack.extend(kids[j])
            self.atoms[(t, "subtree")] = below
            self.atoms[(t, "team")] = {t}

    def __repr__(self) -> str:
        return f"Chart(parents={self.parents}, own={list(self.own.values())})"

    def pairs(self) -> list[tuple[UUID, UUID | None]]:
        return [
            (t, None if p is None else self.ids[p])
            for t, p in zip(self.ids, self.parents, strict=True)
        ]

    def counts(self, own: Mapping[UUID, int] | None = None) -> dict[GroupKey, int]:
        own = own or self.own
        return {g: sum(own[t] for t in members) for g, members in self.atoms.items()}


def determined(published: Sequence[set[UUID]], target: set[UUID], unknown: Sequence[UUID]) -> bool:
    """Whether the sum over `target` follows from the published sums (zero teams known)."""
    col = {t: i for i, t in enumerate(unknown)}
    vec = np.zeros(len(unknown))
    for t in target:
        if t in col:
            vec[col[t]] = 1
    if not vec.any():
        return False  # nothing unknown in it: an empty group, nobody's answers
    rows = [np.array([1.0 if t in s else 0.0 for t in unknown]) for s in published]
    if not rows:
        return False
    a = np.vstack(rows)
    return bool(np.linalg.matrix_rank(np.vstack([a, vec])) == np.linalg.matrix_rank(a))


def assert_nothing_hidden_is_determined(
    chart: Chart,
    hidden: Mapping[GroupKey, Any],
    own: Mapping[UUID, int],
    visible: set[GroupKey] | None = None,
    answered: Mapping[GroupKey, int] | None = None,
) -> None:
    """`own` says which teams have respondents (the unknowns); `answered`, when given, the
    cells' counts for this measure: a cell nobody answered holds no answer to protect (the
    guard's rule allows a remainder of 0)."""
    groups = visible if visible is not None else set(chart.atoms)
    published = [chart.atoms[g] for g in groups if g not in hidden]
    unknown = [t for t in chart.ids if own[t] > 0]
    for g in hidden:
        if answered is not None and answered[g] == 0:
            continue
        assert not determined(published, chart.atoms[g], unknown), (
            f"hidden {g} can be worked out from {len(published)} published cells"
        )


@st.composite
def charts(draw: st.DrawFn) -> tuple[Chart, int, int, list[int]]:
    size = draw(st.integers(2, 36))
    parents: list[int | None] = [None]
    for i in range(1, size):
        # Mostly one tree; sometimes a second root (an org total made of several trees).
        root = draw(st.integers(0, 15)) == 0
        parents.append(None if root else draw(st.integers(max(0, i - 6), i - 1)))
    small = st.integers(0, 4)
    large = st.integers(5, 40)
    own = [draw(st.one_of(small, large)) for _ in range(size)]
    k = draw(st.integers(3, 7))
    comment_k = draw(st.integers(k, 15))
    skips = [draw(st.integers(0, 2)) for _ in range(size)]
    return Chart(parents, own), k, comment_k, skips


@settings(
    max_examples=int(os.environ.get("ATTACKER_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(charts())
def test_attacker_learns_no_hidden_count_or_sum_from_any_generated_org_chart(
    case: tuple[Chart, int, int, list[int]],
) -> None:
    chart, k, comment_k, skips = case
    try:
        _check(chart, k, comment_k, skips)
    except AssertionError:
        print("FAILING", chart, k, comment_k, skips)
        raise


def _check(chart: Chart, k: int, comment_k: int, skips: list[int]) -> None:
    group_n = chart.counts()
    # One measure everyone answered, one some people skipped.
    skipped_own = {t: max(0, chart.own[t] - s) for t, s in zip(chart.ids, skips, strict=True)}
    skipped = chart.counts(skipped_own)
    plan = plan_wave(
        wave_tree(chart.pairs()),
        group_n,
        {"dimension:d": group_n, "item:x": skipped},
        k=k,
        comment_k=comment_k,
    )
    # Nothing published rests on fewer than k people.
    assert all(n >= k for g, n in group_n.items() if g not in plan.groups)
    assert all(n >= comment_k for g, n in group_n.items() if g not in plan.comments)
    # Counts and sums of the groups (respondents, and the fully answered dimension).
    assert_nothing_hidden_is_determined(chart, plan.groups, chart.own)
    d_hidden = {g: c for (m, g), c in plan.cells.items() if m == "dimension:d"}
    assert d_hidden == plan.groups
    # The partly skipped item: its own counts and sums.
    # The partly skipped item: its own counts and sums. Zeros are given for free only where
    # nobody answered at all; who skipped a question is not something the attacker can see.
    x_hidden = {g: c for (m, g), c in plan.cells.items() if m == "item:x"}
    assert set(plan.groups) <= set(x_hidden)
    assert all(n >= k for g, n in skipped.items() if g not in x_hidden)
    assert_nothing_hidden_is_determined(chart, x_hidden, chart.own, answered=skipped)
    # Comments are sets: subtracting sets is the same algebra with the comment threshold.
    assert_nothing_hidden_is_determined(chart, plan.comments, chart.own)
    # A leader sees a subset of what the admin sees, so the admin case covers theirs; check one.
    lead_root = chart.ids[len(chart.ids) // 2]
    lead = {g for g in chart.atoms if g[0] in chart.atoms[(lead_root, "subtree")]}
    assert_nothing_hidden_is_determined(chart, plan.groups, chart.own, lead)


def test_attacker_finds_the_hole_when_complements_are_not_hidden() -> None:
    # The check itself must be able to fail: with only "few" hiding, Tiny is found.
    chart = Chart([None, 0, 0, 0], [0, 10, 12, 2])
    hidden = {g: "few" for g, n in chart.counts().items() if n < 5}
    published = [chart.atoms[g] for g in chart.atoms if g not in hidden]
    tiny = chart.atoms[(chart.ids[3], "team")]
    assert determined(published, tiny, [t for t in chart.ids if chart.own[t]])


# --- end to end through the HTTP API ----------------------------------------------------------


def _random_chart(rng: random.Random) -> tuple[list[int | None], list[int]]:
    size = rng.randint(4, 14)
    parents: list[int | None] = [None] + [rng.randint(max(0, i - 4), i - 1) for i in range(1, size)]
    own = [rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 12, 20]) for _ in range(size)]
    return parents, own


async def _build(
    pool: asyncpg.Pool, org_id: UUID, parents: list[int | None], own: list[int]
) -> tuple[list[UUID], UUID]:
    spec: dict[str, Any] = {}
    nodes: dict[int, dict[str, Any]] = {}
    for i, p in enumerate(parents):
        nodes[i] = {}
        (spec if p is None else nodes[p])[f"T{i}"] = nodes[i]
    ids = await make_team_tree(pool, org_id, spec)
    teams = [ids[f"T{i}"] for i in range(len(parents))]
    for t, n in zip(teams, own, strict=True):
        if n:
            await make_people(pool, org_id, t, n + 1)  # one non-respondent each
    pulse_id = await make_pulse(pool, org_id, [teams[0]], k=5, comment_k=10)
    return teams, pulse_id


async def _collect(
    client: Any, headers: dict[str, str], wave_id: UUID, teams: list[UUID]
) -> dict[tuple[UUID, str, str], int]:
    """Every published (team, scope, dimension) n a key can fetch, checked across views."""
    seen: dict[tuple[UUID, str, str], int] = {}

    def note(team: Any, scope: str, key: str, n: Any) -> None:
        if n is None:
            return
        ident = (UUID(str(team)), scope, key)
        assert seen.setdefault(ident, int(n)) == int(n), f"views disagree on {ident}"

    for scope in ("team", "subtree"):
        r = await client.get(
            f"/api/v1/waves/{wave_id}/heatmap",
            params={"scope": scope, "limit": 1000},
            headers=headers,
        )
        if r.status_code == 404:
            continue
        for row in r.json()["rows"]:
            for dim, cell in row["cells"].items():
                note(row["team_id"], scope, dim, cell["n"])
        text = (
            await client.get(
                f"/api/v1/waves/{wave_id}/heatmap.csv", params={"scope": scope}, headers=headers
            )
        ).text
        for row in csv.DictReader(io.StringIO(text)):
            note(row["team_id"], scope, row["dimension"], row["n"] or None)
        for t in teams:
            r = await client.get(
                f"/api/v1/teams/{t}/trend", params={"scope": scope}, headers=headers
            )
            if r.status_code == 404:
                continue
            for s in r.json()["series"]:
                for p in s["points"]:
                    note(t, scope, s["key"], p["result"]["n"])
    return seen


async def test_attacker_learns_nothing_through_the_api(client: Any, pool: asyncpg.Pool) -> None:
    rng = random.Random(20261128)
    for round_no in range(6):
        parents, own = _random_chart(rng)
        org = await make_org(pool, f"Attacked {round_no}")
        teams, pulse_id = await _build(pool, org.id, parents, own)
        scores = {
            t: [rng.randint(1, 7) for _ in range(n)] for t, n in zip(teams, own, strict=True) if n
        }
        wave_id = await answered_wave(pool, org.id, pulse_id, scores)
        chart = Chart(parents, own)
        to_chart = dict(zip(teams, chart.ids, strict=True))
        # What each (team, scope) key reports is public (the group's name lists its teams):
        # the people of the plan's group, which for a small team is a pooled group.
        plan = await pool.fetch(
            "SELECT team_id, scope, atoms FROM wave_plan WHERE wave_id = $1", wave_id
        )
        reports = {
            (to_chart[r["team_id"]], r["scope"]): {to_chart[a] for a in r["atoms"]}
            for r in plan
            if r["atoms"] is not None
        }
        unknown = [t for t in chart.ids if chart.own[t] > 0]
        for headers in (
            org.headers,
            await make_leader_headers(pool, org.id, [teams[len(teams) // 2]]),
        ):
            seen = await _collect(client, headers, wave_id, teams)
            dims = {key for _, _, key in seen}
            for dim in dims:
                published = {(to_chart[t], s) for t, s, key in seen if key == dim}  # type: ignore[misc]
                for g in published:
                    assert sum(chart.own[a] for a in reports[g]) >= 5, (round_no, g)
                # Pretend the attacker could see every published cell of every view: stronger.
                published_sets = [reports[g] for g in published]
                # No true group of the org chart below k (a team's own answers, a subtree's,
                # each single team's) can be worked out, however the published sums combine.
                targets = list(chart.atoms.values()) + [{t} for t in chart.ids]
                for atoms in targets:
                    n = sum(chart.own[a] for a in atoms)
                    if 0 < n < 5:
                        assert not determined(published_sets, atoms, unknown), (round_no, atoms)
