"""The anonymity guard: the one place that decides which numbers may leave the service.

Two halves, both pure functions over plain data:

* `plan_wave()` runs once when a wave closes, over the wave's whole frozen team tree. It decides
  which cells are hidden: fewer than k respondents ("few"), or hidden as a complement so that a
  small cell cannot be worked out by subtracting published cells from a published total
  ("complement"). The decision is stored with the rollup, so every view (trend, heatmap, CSV,
  widgets, any key's scope) hides the same cells and cross-view differencing finds nothing.
* `release_*()` runs on every read. It re-checks the stored decision, k and the wave's state and
  hands out numbers only through `Released`; a withheld cell carries only a reason a leader can
  read, never its n.

The tree of cells: for a team with children, its 'subtree' cell is the sum of its own 'team'
cell and its children's 'subtree' cells. A team without children has one cell (its 'team' and
'subtree' numbers are the same). Complementary rule: for every published cell, its n minus the
n of its nearest published descendants must be 0 or at least k; otherwise the smallest of those
descendants is hidden too, repeatedly, until the rule holds everywhere.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Literal, TypeVar
from uuid import UUID

import msgspec

Code = Literal["few", "complement"]
Scope = Literal["team", "subtree"]
GroupKey = tuple[UUID, Scope]
K = TypeVar("K", bound=Hashable)

COMPLEMENT_REASON = "hidden so that a smaller team cannot be worked out by subtraction"
OPEN_REASON = "wave still open"


def few_reason(k: int) -> str:
    return f"fewer than {k} responses"


def reason_for(code: str, k: int) -> str:
    """The words a leader reads next to a hidden cell."""
    if code == "few":
        return few_reason(k)
    if code == "complement":
        return COMPLEMENT_REASON
    if code == "open":
        return OPEN_REASON
    # An unknown code is treated as hidden; the wording stays generic rather than leaking.
    return "hidden to protect anonymity"


# ---------------------------------------------------------------------------------------------
# Planning: which cells of a closed wave are hidden (runs once, at close)


def suppress(
    n: Mapping[K, int],
    children: Mapping[K, Sequence[K]],
    k: int,
    already_hidden: Mapping[K, Code] | None = None,
) -> dict[K, Code]:
    """Hide cells below k, then complements until no published total gives a small remainder.

    `n` holds every cell's respondent count; `children` lists each composite cell's parts (which
    add up to it). Returns the hidden cells with their reason code.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    hidden: dict[K, Code] = dict(already_hidden or {})
    for key, count in n.items():
        if count < k and key not in hidden:
            hidden[key] = "few"
    depth = _depths(children)
    # Deepest totals first: fixing a low total can only push hiding upwards, never down.
    composites = sorted(
        (c for c in children if children[c]), key=lambda c: (-depth.get(c, 0), str(c))
    )
    changed = True
    while changed:
        changed = False
        for total in composites:
            if total in hidden:
                continue
            cover = _nearest_published(total, children, hidden)
            remainder = n[total] - sum(n[c] for c in cover)
            if 0 < remainder < k:
                # Should no part have respondents (impossible with consistent counts), the total
                # itself is hidden, so the loop always makes progress.
                for cell in _cheapest_path(cover, n, children, hidden) or [total]:
                    hidden[cell] = "complement"
                changed = True
    return hidden


def _share(
    part: K, n: Mapping[K, int], children: Mapping[K, Sequence[K]], hidden: Mapping[K, Code]
) -> int:
    """Respondents of `part` not covered by published cells below it."""
    return n[part] - sum(n[c] for c in _nearest_published(part, children, hidden))


def _cheapest_path(
    cover: list[K], n: Mapping[K, int], children: Mapping[K, Sequence[K]], hidden: Mapping[K, Code]
) -> list[K]:
    """The cells to hide so that a total's remainder grows: the smallest published part, and,
    when that part is exactly the sum of published cells below it (hiding it alone would add
    nothing and leave it derivable), also the smallest of those, down to one with a share of
    its own."""
    path: list[K] = []
    parts = [c for c in cover if n[c] > 0]
    while parts:
        # n[total] >= k > remainder, so the first round always has a part with respondents.
        part = min(parts, key=lambda c: (n[c], str(c)))
        path.append(part)
        if _share(part, n, children, hidden) > 0:
            break
        parts = [c for c in _nearest_published(part, children, hidden) if n[c] > 0]
    return path


def _depths(children: Mapping[K, Sequence[K]]) -> dict[K, int]:
    below = {c for parts in children.values() for c in parts}
    roots = [c for c in children if c not in below]
    depth: dict[K, int] = {}
    stack = [(r, 0) for r in roots]
    while stack:
        node, d = stack.pop()
        depth[node] = d
        stack.extend((c, d + 1) for c in children.get(node, ()))
    return depth


def _nearest_published(
    total: K, children: Mapping[K, Sequence[K]], hidden: Mapping[K, Code]
) -> list[K]:
    """The published cells directly under `total`, looking through hidden ones."""
    found: list[K] = []
    stack = list(children.get(total, ()))
    while stack:
        node = stack.pop()
        if node in hidden:
            stack.extend(children.get(node, ()))
        else:
            found.append(node)
    return found


class WaveTree(msgspec.Struct, frozen=True):
    """A wave's frozen team tree as cells: each group key maps to the cell that holds it."""

    cell_of: dict[GroupKey, GroupKey]
    children: dict[GroupKey, list[GroupKey]]


def wave_tree(teams: Iterable[tuple[UUID, UUID | None]]) -> WaveTree:
    """Cells for a tree given as (team id, parent id) pairs (parent None or outside = a root)."""
    pairs = list(teams)
    ids = {t for t, _ in pairs}
    kids: dict[UUID, list[UUID]] = {t: [] for t in ids}
    for t, p in pairs:
        if p is not None and p in ids:
            kids[p].append(t)
    cell_of: dict[GroupKey, GroupKey] = {}
    children: dict[GroupKey, list[GroupKey]] = {}
    for t in ids:
        sub: GroupKey = (t, "subtree")
        cell_of[sub] = sub
        if kids[t]:
            own: GroupKey = (t, "team")
            cell_of[own] = own
            children[sub] = [own, *[(c, "subtree") for c in sorted(kids[t])]]
            children[own] = []
        else:
            # A team without children: its own numbers are its subtree's numbers (one cell).
            cell_of[(t, "team")] = sub
            children[sub] = []
    return WaveTree(cell_of, children)


class WavePlan(msgspec.Struct, frozen=True):
    """What may be published of one closed wave: hidden group and cell codes by key."""

    groups: dict[GroupKey, Code]
    comments: dict[GroupKey, Code]
    cells: dict[tuple[str, GroupKey], Code]  # (measure, group) -> code


def plan_wave(
    tree: WaveTree,
    group_n: Mapping[GroupKey, int],
    measure_n: Mapping[str, Mapping[GroupKey, int]],
    *,
    k: int,
    comment_k: int,
) -> WavePlan:
    """Decide, once per wave, every hidden group, comment group and measure cell.

    Groups are decided on respondent counts. Each measure (a dimension or an item) starts from
    the hidden groups and adds its own small cells and complements, because its n can be lower
    than the group's when people skip a question.
    """
    cell_n = {c: group_n.get(c, 0) for c in tree.children}
    hidden_cells = suppress(cell_n, tree.children, k)
    comment_cells = suppress(cell_n, tree.children, comment_k, hidden_cells)
    groups = {g: hidden_cells[c] for g, c in tree.cell_of.items() if c in hidden_cells}
    comments = {g: comment_cells[c] for g, c in tree.cell_of.items() if c in comment_cells}
    cells: dict[tuple[str, GroupKey], Code] = {}
    for measure, counts in measure_n.items():
        m_n = {c: counts.get(c, 0) for c in tree.children}
        m_hidden = suppress(m_n, tree.children, k, hidden_cells)
        for g, c in tree.cell_of.items():
            if c in m_hidden:
                cells[(measure, g)] = m_hidden[c]
    return WavePlan(groups, comments, cells)


# ---------------------------------------------------------------------------------------------
# Release: every read passes its rows through these


class Aggregate(msgspec.Struct, frozen=True):
    """A cell's raw aggregates as stored by the rollup."""

    n: int
    sum_raw: float
    sumsq_raw: float
    sum100: float
    sumsq100: float
    favourable: int
    scale_min: int
    scale_max: int


class Released(msgspec.Struct, frozen=True):
    """Aggregates the guard let through; the only input the statistics are computed from."""

    agg: Aggregate


class Withheld(msgspec.Struct, frozen=True):
    reason: str


def release_cell(
    agg: Aggregate | None, hidden_code: str | None, *, k: int, wave_closed: bool
) -> Released | Withheld:
    """Let a cell's numbers out only for a closed wave, an unhidden cell and n >= k."""
    if not wave_closed:
        return Withheld(OPEN_REASON)
    if agg is None:
        # No rollup row (nobody answered it): indistinguishable from too few responses.
        return Withheld(few_reason(k))
    if hidden_code is not None:
        return Withheld(reason_for(hidden_code, k))
    if agg.n < k:
        # Defence in depth: a stored decision can never publish a cell below k.
        return Withheld(few_reason(k))
    return Released(agg)


def release_count(n: int, hidden_code: str | None, *, k: int, wave_closed: bool) -> int | Withheld:
    """A group's respondent count, under the same rules as its cells."""
    if not wave_closed:
        return Withheld(OPEN_REASON)
    if hidden_code is not None:
        return Withheld(reason_for(hidden_code, k))
    if n < k:
        return Withheld(few_reason(k))
    return n


class Participation(msgspec.Struct, frozen=True):
    rate_pct: int | None  # rounded to 5 points
    band: str | None  # "low" (< 40 %), "moderate" (40-69 %), "high" (>= 70 %)
    reason: str | None = None


def release_participation(
    invited: int, responded: int, *, k: int, cell_published: bool, wave_closed: bool
) -> Participation:
    """A participation rate only for groups of at least k invitees whose numbers are published.

    A rate next to a hidden cell would let a reader multiply it back into a count below k, so
    participation follows the cell's fate as well as the invitee rule.
    """
    if not wave_closed:
        return Participation(None, None, OPEN_REASON)
    if invited < k:
        return Participation(None, None, f"fewer than {k} people invited")
    if not cell_published:
        return Participation(None, None, "shown only where the results are shown")
    rate = 100.0 * min(responded, invited) / invited
    rounded = int(5 * round(rate / 5))
    return Participation(rounded, participation_band(rounded))


def participation_band(rate_pct: float) -> str:
    if rate_pct >= 70:
        return "high"
    if rate_pct >= 40:
        return "moderate"
    return "low"


def comments_reason(code: str | None, *, comment_k: int) -> str | None:
    """Why comments of a group are not shown (None = they may be shown)."""
    if code is None:
        return None
    if code == "complement":
        return COMPLEMENT_REASON
    return f"comments are shown only for groups of at least {comment_k} responses"


def release_comments(
    bodies: Sequence[str],
    group_n: int,
    comments_hidden: str | None,
    *,
    comment_k: int,
    wave_closed: bool,
) -> list[str] | Withheld:
    """Comment texts only (no ids, no dates), for a closed wave and a large enough group."""
    if not wave_closed:
        return Withheld(OPEN_REASON)
    reason = comments_reason(comments_hidden, comment_k=comment_k)
    if reason is None and group_n < comment_k:
        reason = comments_reason("few", comment_k=comment_k)
    if reason is not None:
        return Withheld(reason)
    return list(bodies)
