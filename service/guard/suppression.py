"""Planning, once per closed wave: which cells are hidden, and why (as a code).

`plan_wave()` runs when a wave closes, over the wave's whole frozen team tree. It decides which
cells are hidden: fewer than k respondents ("few"), or hidden as a complement so that a small
cell cannot be worked out by subtracting published cells from a published total
("complement"). The decision is stored with the rollup, so every view (trend, heatmap, CSV,
widgets, console pages, any key's scope) hides the same cells and cross-view differencing finds
nothing.

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

from .codes import PlanCode as Code

Scope = Literal["team", "subtree"]
GroupKey = tuple[UUID, Scope]
K = TypeVar("K", bound=Hashable)


def suppress(
    n: Mapping[K, int],
    children: Mapping[K, Sequence[K]],
    k: int,
    already_hidden: Mapping[K, Code] | None = None,
    causes: dict[K, list[K]] | None = None,
) -> dict[K, Code]:
    """Hide cells below k, then complements until no published total gives a small remainder.

    `n` holds every cell's respondent count; `children` lists each composite cell's parts (which
    add up to it). Returns the hidden cells with their reason code. When `causes` is given, it
    receives for each complement the small hidden cells it protects (to name them in words).
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
                protected = [c for c in _nearest_hidden(total, children, hidden) if n[c] > 0]
                # Should no part have respondents (impossible with consistent counts), the total
                # itself is hidden, so the loop always makes progress.
                for cell in _cheapest_path(cover, n, children, hidden) or [total]:
                    hidden[cell] = "complement"
                    if causes is not None:
                        causes[cell] = protected
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


def _nearest_hidden(
    total: K, children: Mapping[K, Sequence[K]], hidden: Mapping[K, Code]
) -> list[K]:
    """The hidden cells directly under `total`: the parts a small remainder is made of."""
    found: list[K] = []
    stack = list(children.get(total, ()))
    while stack:
        node = stack.pop()
        if node in hidden:
            found.append(node)
        else:
            stack.extend(children.get(node, ()))
    return found


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
    # For each complement ("" for a group, else the measure): the small groups it protects,
    # as the keys that report them, so the words can name them.
    causes: dict[tuple[str, GroupKey], list[GroupKey]] = {}


def plan_wave(
    tree: WaveTree,
    group_n: Mapping[GroupKey, int],
    measure_n: Mapping[str, Mapping[GroupKey, int]],
    *,
    k: int,
    comment_k: int,
    unreportable: Iterable[GroupKey] = (),
) -> WavePlan:
    """Decide, once per wave, every hidden group, comment group and measure cell.

    Groups are decided on respondent counts. Each measure (a dimension or an item) starts from
    the hidden groups and adds its own small cells and complements, because its n can be lower
    than the group's when people skip a question. Keys the reporting plan does not report on
    their own (`unreportable`) are hidden as "pooled" everywhere.
    """
    cell_n = {c: group_n.get(c, 0) for c in tree.children}
    why: dict[GroupKey, list[GroupKey]] = {}
    hidden_cells = suppress(cell_n, tree.children, k, causes=why)
    comment_cells = suppress(cell_n, tree.children, comment_k, hidden_cells)
    groups = {g: hidden_cells[c] for g, c in tree.cell_of.items() if c in hidden_cells}
    comments = {g: comment_cells[c] for g, c in tree.cell_of.items() if c in comment_cells}
    causes = {("", g): why[c] for g, c in tree.cell_of.items() if c in why}
    cells: dict[tuple[str, GroupKey], Code] = {}
    for measure, counts in measure_n.items():
        m_n = {c: counts.get(c, 0) for c in tree.children}
        m_why: dict[GroupKey, list[GroupKey]] = {}
        m_hidden = suppress(m_n, tree.children, k, hidden_cells, causes=m_why)
        for g, c in tree.cell_of.items():
            if c in m_hidden:
                cells[(measure, g)] = m_hidden[c]
            if c in m_why and c not in hidden_cells:
                causes[(measure, g)] = m_why[c]
    for g in unreportable:
        groups[g] = "pooled"
        comments[g] = "pooled"
        for measure in measure_n:
            cells[(measure, g)] = "pooled"
    return WavePlan(groups, comments, cells, causes)
