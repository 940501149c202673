"""The anonymity guard's rules, one promise per test, on plain data (no database)."""

from __future__ import annotations

from uuid import UUID, uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from service.guard import (
    COMPLEMENT_REASON,
    OPEN_REASON,
    Aggregate,
    Released,
    Withheld,
    plan_wave,
    release_cell,
    release_comments,
    release_count,
    release_participation,
    suppress,
    suppression,
    wave_tree,
)


def agg(n: int) -> Aggregate:
    return Aggregate(n, 4.0 * n, 16.0 * n, 50.0 * n, 2500.0 * n, n // 2, 1, 7)


# --- k on respondents -------------------------------------------------------------------------


def test_a_cell_below_k_is_hidden_with_a_reason_a_leader_understands() -> None:
    out = release_cell(agg(4), None, k=5, wave_closed=True)
    assert out == Withheld("few", "fewer than 5 responses")


def test_a_cell_at_exactly_k_is_published() -> None:
    assert isinstance(release_cell(agg(5), None, k=5, wave_closed=True), Released)


def test_withheld_cells_carry_no_number_at_all() -> None:
    out = release_cell(agg(2), None, k=3, wave_closed=True)
    assert isinstance(out, Withheld)
    # A code, words, and the name of the group the words are about: no count.
    assert set(Withheld.__struct_fields__) == {"code", "reason", "about"}
    assert "2" not in out.reason


def test_a_stored_publish_decision_can_never_release_a_cell_below_k() -> None:
    # Defence in depth: even if a rollup row says "publish", n < k stays hidden.
    assert isinstance(release_cell(agg(4), None, k=5, wave_closed=True), Withheld)
    assert isinstance(release_count(4, None, k=5, wave_closed=True), Withheld)


def test_a_missing_cell_reads_like_a_small_one() -> None:
    assert release_cell(None, None, k=5, wave_closed=True) == Withheld(
        "few", "fewer than 5 responses"
    )


def test_the_k_of_the_wave_is_used_in_the_reason() -> None:
    assert release_cell(agg(6), None, k=7, wave_closed=True) == Withheld(
        "few", "fewer than 7 responses"
    )


def test_suppress_marks_small_and_empty_cells_as_few() -> None:
    hidden = suppress({"a": 0, "b": 4, "c": 5}, {"a": [], "b": [], "c": []}, 5)
    assert hidden == {"a": "few", "b": "few"}


# --- phased release ---------------------------------------------------------------------------


def test_nothing_about_an_open_wave_is_released() -> None:
    assert release_cell(agg(50), None, k=5, wave_closed=False) == Withheld("open", OPEN_REASON)
    assert release_count(50, None, k=5, wave_closed=False) == Withheld("open", OPEN_REASON)
    p = release_participation(50, 40, k=5, cell_published=True, wave_closed=False)
    assert p.rate_pct is None and p.reason == OPEN_REASON
    assert release_comments(["hi"] * 20, 20, None, comment_k=10, wave_closed=False) == Withheld(
        "open", OPEN_REASON
    )


# --- complementary suppression ----------------------------------------------------------------


def test_parent_minus_published_children_leaving_few_hides_the_next_smallest_sibling() -> None:
    n = {"P": 16, "A": 6, "B": 8, "C": 2}
    hidden = suppress(n, {"P": ["A", "B", "C"], "A": [], "B": [], "C": []}, 5)
    assert hidden == {"C": "few", "A": "complement"}


def test_remainder_of_zero_needs_no_extra_hiding() -> None:
    n = {"P": 12, "A": 6, "B": 6, "C": 0}
    hidden = suppress(n, {"P": ["A", "B", "C"], "A": [], "B": [], "C": []}, 5)
    assert hidden == {"C": "few"}


def test_remainder_of_at_least_k_needs_no_extra_hiding() -> None:
    n = {"P": 20, "A": 6, "B": 9, "C": 3, "D": 2}
    hidden = suppress(n, {"P": ["A", "B", "C", "D"], "A": [], "B": [], "C": [], "D": []}, 5)
    assert hidden == {"C": "few", "D": "few"}


def test_hiding_repeats_up_the_tree_until_every_total_is_safe() -> None:
    # Root R = own(0) + X + Y; X = x1 + x2 + x3 with x3 tiny -> x1 hidden as complement;
    # at the root, hidden parts must also leave nothing small between R and what is shown.
    n = {"R": 30, "R.own": 0, "X": 15, "x1": 6, "x2": 7, "x3": 2, "Y": 15}
    children = {
        "R": ["R.own", "X", "Y"],
        "R.own": [],
        "X": ["x1", "x2", "x3"],
        "x1": [],
        "x2": [],
        "x3": [],
        "Y": [],
    }
    hidden = suppress(n, children, 5)
    assert hidden["x3"] == "few" and hidden["x1"] == "complement"
    _assert_every_total_is_safe(n, children, hidden, 5)


def test_a_hidden_middle_level_is_looked_through() -> None:
    # G = own(0) + P + S; P is hidden (3 < 5) but its children p1 (1) and p2 (2) are too; if S
    # and G were both shown, G - S = P would still be hidden behind k... P = 3 < k: S must go.
    n = {"G": 13, "G.own": 0, "P": 3, "p1": 1, "p2": 2, "S": 10}
    children = {"G": ["G.own", "P", "S"], "G.own": [], "P": ["p1", "p2"], "p1": [], "p2": []}
    children["S"] = []
    hidden = suppress(n, children, 5)
    assert hidden["S"] == "complement"


def test_published_grandchildren_of_a_hidden_child_count_as_published_parts() -> None:
    # P hidden as a complement but its children shown: G minus S minus P's children must be safe.
    n = {"G": 40, "G.own": 2, "P": 20, "p.own": 0, "p1": 10, "p2": 10, "S": 18}
    children = {
        "G": ["G.own", "P", "S"],
        "G.own": [],
        "P": ["p.own", "p1", "p2"],
        "p.own": [],
        "p1": [],
        "p2": [],
        "S": [],
    }
    hidden = suppress(n, children, 5, {"P": "complement"})
    _assert_every_total_is_safe(n, children, hidden, 5)
    assert "G.own" in hidden  # 2 < 5


def test_org_total_is_protected_like_any_parent() -> None:
    teams = _tree({"root": None, "a": "root", "b": "root"})
    tree = wave_tree(teams.items())
    ids = {v: k for k, v in _NAMES.items()}
    group_n = {
        (ids["root"], "subtree"): 13,
        (ids["root"], "team"): 3,
        (ids["a"], "subtree"): 5,
        (ids["b"], "subtree"): 5,
    }
    plan = plan_wave(tree, group_n, {}, k=5, comment_k=10)
    # root's own 3 people would be total - a - b: one of a and b must be hidden too.
    assert plan.groups[(ids["root"], "team")] == "few"
    assert sum(1 for t in ("a", "b") if (ids[t], "subtree") in plan.groups) == 1
    assert (ids["root"], "subtree") not in plan.groups


def test_a_leaf_team_and_its_subtree_are_one_cell_with_one_decision() -> None:
    teams = _tree({"root": None, "a": "root", "b": "root"})
    tree = wave_tree(teams.items())
    ids = {v: k for k, v in _NAMES.items()}
    assert tree.cell_of[(ids["a"], "team")] == tree.cell_of[(ids["a"], "subtree")]
    plan = plan_wave(tree, {(ids["a"], "subtree"): 2}, {}, k=5, comment_k=10)
    assert plan.groups[(ids["a"], "team")] == plan.groups[(ids["a"], "subtree")] == "few"


def test_a_measure_answered_by_fewer_people_is_hidden_on_its_own() -> None:
    teams = _tree({"root": None, "a": "root", "b": "root"})
    tree = wave_tree(teams.items())
    ids = {v: k for k, v in _NAMES.items()}
    group_n = {(ids["root"], "subtree"): 12, (ids["a"], "subtree"): 6, (ids["b"], "subtree"): 6}
    group_n[(ids["root"], "team")] = 0
    skipped = dict(group_n)
    skipped[(ids["a"], "subtree")] = 4
    skipped[(ids["root"], "subtree")] = 10
    plan = plan_wave(tree, group_n, {"item:x": skipped, "item:y": group_n}, k=5, comment_k=10)
    assert plan.groups.get((ids["a"], "subtree")) is None
    assert plan.cells[("item:x", (ids["a"], "subtree"))] == "few"
    # and its sibling follows, else root - b would give a's answers to item x.
    assert plan.cells[("item:x", (ids["b"], "subtree"))] == "complement"
    assert ("item:y", (ids["a"], "subtree")) not in plan.cells


def test_a_hidden_group_hides_every_measure_of_it() -> None:
    teams = _tree({"root": None, "a": "root"})
    tree = wave_tree(teams.items())
    ids = {v: k for k, v in _NAMES.items()}
    group_n = {(ids["root"], "subtree"): 9, (ids["root"], "team"): 3, (ids["a"], "subtree"): 6}
    plan = plan_wave(tree, group_n, {"dimension:d": group_n}, k=5, comment_k=10)
    for g in plan.groups:
        assert ("dimension:d", g) in plan.cells


def test_complement_reason_says_why_in_plain_words() -> None:
    out = release_cell(agg(40), "complement", k=5, wave_closed=True)
    assert out == Withheld("complement", COMPLEMENT_REASON)
    assert "subtraction" in COMPLEMENT_REASON


# --- participation ----------------------------------------------------------------------------


def test_participation_needs_k_invitees() -> None:
    p = release_participation(4, 4, k=5, cell_published=True, wave_closed=True)
    assert p.rate_pct is None and p.band is None and p.reason == "fewer than 5 people invited"


def test_participation_is_rounded_to_five_points_and_banded() -> None:
    p = release_participation(30, 22, k=5, cell_published=True, wave_closed=True)  # 73.3 %
    assert p.rate_pct == 75 and p.band == "high"
    assert release_participation(30, 13, k=5, cell_published=True, wave_closed=True).rate_pct == 45
    assert release_participation(30, 13, k=5, cell_published=True, wave_closed=True).band == (
        "moderate"
    )
    assert release_participation(40, 6, k=5, cell_published=True, wave_closed=True).band == "low"


def test_participation_of_a_hidden_cell_is_not_shown() -> None:
    # 8 invited and a rate of 25 % would say "2 answered" out loud.
    p = release_participation(8, 2, k=5, cell_published=False, wave_closed=True)
    assert p.rate_pct is None and p.band is None


# --- comments ---------------------------------------------------------------------------------


def test_comments_need_the_comment_threshold() -> None:
    out = release_comments(["a"] * 9, 9, None, comment_k=10, wave_closed=True)
    assert out == Withheld("few", "comments are shown only for groups of at least 10 responses")
    assert release_comments(["a", "b"], 10, None, comment_k=10, wave_closed=True) == ["a", "b"]


def test_comments_hidden_as_a_complement_stay_hidden_however_large() -> None:
    out = release_comments(["a"] * 30, 30, "complement", comment_k=10, wave_closed=True)
    assert out == Withheld("complement", COMPLEMENT_REASON)


def test_comment_groups_get_their_own_complementary_suppression() -> None:
    teams = _tree({"root": None, "a": "root", "b": "root"})
    tree = wave_tree(teams.items())
    ids = {v: k for k, v in _NAMES.items()}
    group_n = {
        (ids["root"], "subtree"): 25,
        (ids["root"], "team"): 0,
        (ids["a"], "subtree"): 7,
        (ids["b"], "subtree"): 18,
    }
    plan = plan_wave(tree, group_n, {}, k=5, comment_k=10)
    # numbers: every group but the empty own-team of root has at least 5
    assert set(plan.groups) == {(ids["root"], "team")}
    assert plan.comments[(ids["a"], "subtree")] == "few"
    # root's comments minus b's comments would be exactly a's 7 people's comments.
    assert plan.comments[(ids["b"], "subtree")] == "complement"


# --- properties over random trees -------------------------------------------------------------


@st.composite
def trees(draw: st.DrawFn) -> tuple[dict[str, int], dict[str, list[str]]]:
    size = draw(st.integers(1, 25))
    parents = [None] + [draw(st.integers(0, i - 1)) for i in range(1, size)]
    own = [draw(st.one_of(st.integers(0, 4), st.integers(5, 30))) for _ in range(size)]
    kids: dict[int, list[int]] = {i: [] for i in range(size)}
    for i, p in enumerate(parents):
        if p is not None:
            kids[p].append(i)
    n: dict[str, int] = {}
    children: dict[str, list[str]] = {}

    def total(i: int) -> int:
        if not kids[i]:
            n[f"s{i}"] = own[i]
            children[f"s{i}"] = []
            return own[i]
        n[f"t{i}"] = own[i]
        children[f"t{i}"] = []
        children[f"s{i}"] = [f"t{i}"] + [f"s{c}" for c in kids[i]]
        n[f"s{i}"] = own[i] + sum(total(c) for c in kids[i])
        return n[f"s{i}"]

    total(0)
    return n, children


@settings(max_examples=300, deadline=None)
@given(trees(), st.integers(3, 10))
def test_no_published_total_ever_leaves_a_small_remainder(
    tree: tuple[dict[str, int], dict[str, list[str]]], k: int
) -> None:
    n, children = tree
    hidden = suppress(n, children, k)
    assert all(n[c] >= k for c in n if c not in hidden)
    _assert_every_total_is_safe(n, children, hidden, k)


def _assert_every_total_is_safe(
    n: dict[str, int], children: dict[str, list[str]], hidden: dict[str, str], k: int
) -> None:
    for total, parts in children.items():
        if not parts or total in hidden:
            continue
        cover = suppression._nearest_published(total, children, hidden)  # type: ignore[arg-type]
        remainder = n[total] - sum(n[c] for c in cover)
        assert remainder == 0 or remainder >= k, (total, remainder)


_NAMES: dict[UUID, str] = {}


def _tree(parents: dict[str, str | None]) -> dict[UUID, UUID | None]:
    _NAMES.clear()
    ids = {name: uuid4() for name in parents}
    _NAMES.update({v: k for k, v in ids.items()})
    return {ids[c]: (ids[p] if p else None) for c, p in parents.items()}
