"""The reporting plan: small teams are reported together with another group, never dropped.

Pure-function tests (no database): the examples of the issue, the rules as properties over
generated org charts, and the linear attacker over what the plan lets a wave publish.
"""

from __future__ import annotations

from uuid import UUID

import msgspec
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.guard import plan_wave
from service.guard.plan import PlanTeam, ReportingPlan, plan_reporting, reporting_tree


def _tree(spec: dict[str, tuple[str | None, int]], **choices: str) -> list[PlanTeam]:
    ids = {name: UUID(int=i + 1) for i, name in enumerate(spec)}
    return [
        PlanTeam(
            ids[name],
            ids[parent] if parent else None,
            name,
            invited,
            ids[choices[name]] if name in choices else None,
        )
        for name, (parent, invited) in spec.items()
    ]


def _key(plan: ReportingPlan, team: str, scope: str, teams: list[PlanTeam]) -> tuple[str, bool]:
    tid = next(t.id for t in teams if t.name == team)
    key = next(k for k in plan.keys if k.team_id == tid and k.scope == scope)
    return key.name, key.atoms is not None


DEMO = {
    "Product": (None, 0),
    "Platform": ("Product", 11),
    "Mobile": ("Product", 12),
    "Data": ("Product", 7),
    "Design": ("Product", 3),
    "Sales": (None, 0),
    "Field sales": ("Sales", 9),
    "Inside sales": ("Sales", 7),
}


def test_a_small_team_is_pooled_with_the_smallest_sibling_that_reaches_k() -> None:
    teams = _tree(DEMO)
    plan = plan_reporting(teams, 5)
    pooled = [g for g in plan.groups if g.pooled]
    assert [(g.name, g.invited) for g in pooled] == [("Data & Design", 10)]
    assert _key(plan, "Design", "team", teams) == ("Data & Design", True)
    assert _key(plan, "Data", "team", teams) == ("Data & Design", True)
    assert _key(plan, "Product", "subtree", teams) == ("Product", True)
    assert plan.never == []


def test_an_admin_choice_comes_first() -> None:
    teams = _tree(DEMO, Design="Platform")
    plan = plan_reporting(teams, 5)
    assert [g.name for g in plan.groups if g.pooled] == ["Design & Platform"]


def test_a_choice_applies_only_to_a_team_too_small_to_report_alone() -> None:
    # Platform (11) has a choice left over from when it was small: it reports on its own.
    teams = _tree(DEMO, Platform="Mobile")
    plan = plan_reporting(teams, 5)
    assert [g.name for g in plan.groups if g.pooled] == ["Data & Design"]


def test_a_choice_that_is_no_longer_a_sibling_or_the_parent_is_ignored() -> None:
    # Design chose Field sales (a team of another subtree, e.g. before a move): the default
    # partner applies, and no group crosses the two subtrees.
    teams = _tree(DEMO, Design="Field sales")
    plan = plan_reporting(teams, 5)
    assert [g.name for g in plan.groups if g.pooled] == ["Data & Design"]
    # A chose B1 when B1 was its sibling; B1 now sits under B, whose remainder is pooled here.
    spec = {
        "P": (None, 0),
        "A": ("P", 3),
        "C": ("P", 2),
        "D": ("P", 9),
        "B": ("P", 0),
        "B1": ("B", 2),
        "B2": ("B", 2),
    }
    default = plan_reporting(_tree(spec), 5)
    moved = plan_reporting(_tree(spec, A="B1"), 5)
    assert sorted(g.name for g in moved.groups) == sorted(g.name for g in default.groups)
    assert sorted(g.name for g in moved.groups if g.pooled) == ["A & C", "B1 & B2 & D"]


def test_choosing_the_parent_pools_with_its_own_members() -> None:
    spec = {"Eng": (None, 4), "Platform": ("Eng", 3), "Apps": ("Eng", 2), "Ops": ("Eng", 9)}
    plan = plan_reporting(_tree(spec, Apps="Eng"), 5)
    assert sorted(g.name for g in plan.groups if g.pooled) == [
        "Apps & Eng (direct members)",
        "Ops & Platform",
    ]


def test_a_parents_own_members_are_a_pooling_partner() -> None:
    teams = _tree({"Eng": (None, 2), "Platform": ("Eng", 6), "Apps": ("Eng", 8)})
    plan = plan_reporting(teams, 5)
    assert [g.name for g in plan.groups if g.pooled] == ["Eng (direct members) & Platform"]


def test_what_cannot_reach_k_in_its_subtree_is_pooled_one_level_up() -> None:
    teams = _tree({"P": (None, 0), "X": ("P", 0), "Y": ("X", 3), "Z": ("P", 6)})
    plan = plan_reporting(teams, 5)
    assert [g.name for g in plan.groups if g.pooled] == ["Y & Z"]
    # X's subtree is Y alone, and Y is reported with Z: X's subtree is not reported on its own.
    assert _key(plan, "X", "subtree", teams) == ("Y & Z", False)
    assert _key(plan, "P", "subtree", teams) == ("P", True)


def test_a_pulse_that_only_reaches_a_small_team_can_never_report() -> None:
    teams = _tree({"Design": (None, 3)})
    plan = plan_reporting(teams, 5)
    assert len(plan.never) == 1 and plan.groups[0].name == "Design"


def test_a_pooled_cell_replaces_the_complement_that_hid_data_every_wave() -> None:
    # The demo's story: Design answers 3, Data 6. Before, Data was hidden as Design's
    # complement; with the plan, "Data & Design" (9) is published and nothing is hidden.
    teams = _tree(DEMO)
    plan = plan_reporting(teams, 5)
    tree, unreportable = reporting_tree(plan)
    own = {"Platform": 10, "Mobile": 11, "Data": 6, "Design": 3, "Field sales": 8}
    own |= {"Inside sales": 6}
    n = _counts(plan, teams, own)
    wave = plan_wave(tree, n, {}, k=5, comment_k=10, unreportable=unreportable)
    # Only the parents' own cells (nobody in them) are empty; no group with answers is hidden.
    assert {g for g in wave.groups if n.get(g, 0) > 0} == set()


# --- properties over generated charts ------------------------------------------------------------


def _counts(plan: ReportingPlan, teams: list[PlanTeam], own: dict[str, int]) -> dict:
    by_id = {t.id: own.get(t.name, 0) for t in teams}
    return {
        (k.team_id, k.scope): sum(by_id[a] for a in k.atoms)
        for k in plan.keys
        if k.atoms is not None
    }


@st.composite
def charts(draw: st.DrawFn) -> tuple[list[PlanTeam], int, dict[UUID, int]]:
    size = draw(st.integers(1, 30))
    parents: list[int | None] = [None]
    for i in range(1, size):
        root = draw(st.integers(0, 12)) == 0
        parents.append(None if root else draw(st.integers(max(0, i - 5), i - 1)))
    invited = [draw(st.one_of(st.integers(0, 4), st.integers(5, 25))) for _ in range(size)]
    k = draw(st.integers(3, 7))
    ids = [UUID(int=i + 1) for i in range(size)]
    teams = [
        PlanTeam(ids[i], None if p is None else ids[p], f"T{i}", invited[i])
        for i, p in enumerate(parents)
    ]
    answered = {ids[i]: draw(st.integers(0, invited[i])) for i in range(size)}
    return teams, k, answered


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(charts())
def test_every_invited_person_is_in_exactly_one_group(chart) -> None:
    teams, k, _ = chart
    plan = plan_reporting(teams, k)
    placed = [a for g in plan.groups for a in g.teams]
    assert sorted(placed, key=str) == sorted((t.id for t in teams if t.invited > 0), key=str)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(charts())
def test_a_group_stays_below_k_only_when_no_pooling_choice_is_left(chart) -> None:
    teams, k, _ = chart
    plan = plan_reporting(teams, k)
    roots = {t.id for t in teams if t.parent_id is None}
    for g in plan.groups:
        if g.invited < k:
            assert g.id in plan.never and g.anchor in roots
    # At most one group per root can be left small: everything small there was merged.
    anchors = [g.anchor for g in plan.groups if g.id in plan.never]
    assert len(anchors) == len(set(anchors))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(charts())
def test_the_cells_nest_and_each_composite_is_covered_by_its_parts(chart) -> None:
    teams, k, _ = chart
    plan = plan_reporting(teams, k)
    tree, _ = reporting_tree(plan)
    atoms = {(key.team_id, key.scope): set(key.atoms or ()) for key in plan.keys}
    invited = {t.id: t.invited for t in teams}
    for cell, parts in tree.children.items():
        seen: set[UUID] = set()
        for part in parts:
            assert atoms[part] < atoms[cell]
            assert not (atoms[part] & seen)
            seen |= atoms[part]
        if parts:
            # Every invited person of a composite is in one of its parts.
            assert {a for a in atoms[cell] if invited[a]} <= seen


def _determined(published: list[set[UUID]], target: set[UUID], unknown: list[UUID]) -> bool:
    col = {t: i for i, t in enumerate(unknown)}
    vec = np.zeros(len(unknown))
    for t in target:
        if t in col:
            vec[col[t]] = 1
    if not vec.any() or not published:
        return False
    a = np.vstack([np.array([1.0 if t in s else 0.0 for t in unknown]) for s in published])
    return bool(np.linalg.matrix_rank(np.vstack([a, vec])) == np.linalg.matrix_rank(a))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(charts())
def test_no_small_group_of_respondents_can_be_worked_out_from_what_is_published(chart) -> None:
    teams, k, answered = chart
    plan = plan_reporting(teams, k)
    tree, unreportable = reporting_tree(plan)
    atoms = {(key.team_id, key.scope): set(key.atoms or ()) for key in plan.keys}
    n = {g: sum(answered[a] for a in s) for g, s in atoms.items()}
    wave = plan_wave(tree, n, {}, k=k, comment_k=k, unreportable=unreportable)
    published = [atoms[g] for g in tree.cell_of if g not in wave.groups]
    unknown = [t.id for t in teams if answered[t.id] > 0]
    for g, s in atoms.items():
        if g in wave.groups and n[g] > 0:
            assert not _determined(published, s, unknown), f"{g} is derivable"
    for t in teams:  # nor any single team's own answers below k
        if 0 < answered[t.id] < k:
            assert not _determined(published, {t.id}, unknown), f"{t.name} is derivable"


@st.composite
def charts_with_choices(draw: st.DrawFn) -> tuple[list[PlanTeam], int, dict[UUID, int]]:
    """Charts where some teams carry a choice, fitting or not (any team of the chart)."""
    teams, k, answered = draw(charts())
    ids = [t.id for t in teams]
    chosen = [
        msgspec.structs.replace(t, report_with=draw(st.sampled_from(ids)))
        if draw(st.integers(0, 2)) == 0
        else t
        for t in teams
    ]
    return chosen, k, answered


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(charts_with_choices())
def test_choices_keep_every_rule_of_the_plan(chart) -> None:
    teams, k, answered = chart
    plan = plan_reporting(teams, k)
    placed = [a for g in plan.groups for a in g.teams]
    assert sorted(placed, key=str) == sorted((t.id for t in teams if t.invited > 0), key=str)
    roots = {t.id for t in teams if t.parent_id is None}
    for g in plan.groups:
        if g.invited < k:
            assert g.id in plan.never and g.anchor in roots
    tree, unreportable = reporting_tree(plan)
    atoms = {(key.team_id, key.scope): set(key.atoms or ()) for key in plan.keys}
    n = {g: sum(answered[a] for a in s) for g, s in atoms.items()}
    wave = plan_wave(tree, n, {}, k=k, comment_k=k, unreportable=unreportable)
    published = [atoms[g] for g in tree.cell_of if g not in wave.groups]
    unknown = [t.id for t in teams if answered[t.id] > 0]
    for t in teams:
        if 0 < answered[t.id] < k:
            assert not _determined(published, {t.id}, unknown), f"{t.name} is derivable"
