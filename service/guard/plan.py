"""The reporting plan: which groups a wave reports, made from the tree and invited counts.

A team with fewer than k invited people cannot report on its own, but it should not vanish
either. The plan reports it together with another group, bottom-up:

* At each team P, the blocks that can be pooled are P's own members, each child team without
  children of its own (a leaf: its members), and whatever a child subtree could not place
  inside itself (its remainder). A child subtree that reports its own groups is not a block:
  pooling with its total would let its published parts be subtracted back out.
* A block below k is pooled with the smallest other block that brings the pair to at least k
  (an admin's "report with" choice comes first); when no single partner is enough, the two
  smallest are merged and the search goes on. What is still below k at P moves up to P's
  parent as a remainder, so a pooled group never ends below k invited while a choice exists.
* A pooled group is named after its parts ("Data & Design").

The result maps every (team, scope) group key to the people it reports on, as a set of "atoms"
(a team's own members): a team's own numbers are those of its pooled group; its subtree is
reportable when the subtree is exactly a union of groups, and otherwise it is not reported on
its own (code "pooled"), because one of its parts is reported together with people outside it.
`reporting_tree()` turns the plan into the cell tree that suppression (`plan_wave`) runs on.
Pure functions over plain data; the waves slice freezes the plan when a wave opens.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from uuid import UUID

import msgspec

from .suppression import GroupKey, WaveTree

# How a pooled group's name calls a team's own members when the team has sub-teams.
OWN_LABEL = "{team} (direct members)"


class PlanTeam(msgspec.Struct, frozen=True):
    """A team as the plan sees it: its place in the tree and its own invited people."""

    id: UUID
    parent_id: UUID | None
    name: str
    invited: int  # the team's own members who will be invited (not its sub-teams')
    report_with: UUID | None = None  # an admin's choice: a sibling, or the parent's own members


class Group(msgspec.Struct, frozen=True):
    """One group the wave reports on: the teams whose own members it holds."""

    id: str  # stable within a plan: the sorted atom ids
    name: str
    teams: list[UUID]
    invited: int
    pooled: bool  # more than one team's members
    anchor: UUID  # the team at whose level it was formed (its subtree holds the group)


class GroupKeyPlan(msgspec.Struct, frozen=True):
    """What a (team, scope) key reports: a group's people, or nothing on its own."""

    team_id: UUID
    parent_id: UUID | None
    scope: str
    atoms: list[UUID] | None  # None: not reported on its own (a part is pooled outside it)
    name: str
    invited: int
    pooled: bool
    group_id: str | None = None  # the pooled group, when the key reports one


class ReportingPlan(msgspec.Struct, frozen=True):
    k: int
    groups: list[Group]
    keys: list[GroupKeyPlan]
    # Groups that stay below k invited with no pooling choice left: they can never report.
    never: list[str]


@dataclass
class _Block:
    atoms: list[UUID]
    invited: int
    names: list[str] = field(default_factory=list)
    owner: UUID | None = None  # the team whose choice applies (a leaf, a remainder's subtree)


def _name(parts: Iterable[str]) -> str:
    return " & ".join(sorted(set(parts), key=str.casefold))


def plan_reporting(
    teams: Iterable[PlanTeam], k: int, *, own_label: str = OWN_LABEL
) -> ReportingPlan:
    """Plan the groups of one wave; `own_label` names a team's own members in a pooled name."""
    by_id = {t.id: t for t in teams}
    kids: dict[UUID, list[UUID]] = {t: [] for t in by_id}
    roots: list[UUID] = []
    for t in by_id.values():
        if t.parent_id is not None and t.parent_id in by_id:
            kids[t.parent_id].append(t.id)
        else:
            roots.append(t.id)
    for ids in kids.values():
        ids.sort(key=lambda i: (by_id[i].name.casefold(), i))
    roots.sort(key=lambda i: (by_id[i].name.casefold(), i))

    groups: list[Group] = []
    never: list[str] = []
    remainder: dict[UUID, _Block | None] = {}

    def own_block(team: PlanTeam) -> _Block:
        # A leaf's members are the team itself; a parent's own members get their own label.
        label = team.name if not kids[team.id] else own_label.format(team=team.name)
        return _Block([team.id], team.invited, [label], owner=team.id)

    def close(block: _Block, anchor: UUID) -> None:
        atoms = sorted(block.atoms, key=str)
        groups.append(
            Group(
                id=",".join(str(a) for a in atoms),
                name=_name(block.names),
                teams=atoms,
                invited=block.invited,
                pooled=len(atoms) > 1,
                anchor=anchor,
            )
        )

    for top in roots:
        order: list[UUID] = []
        stack = [top]
        while stack:  # iterative post-order: deep trees do not hit the recursion limit
            node = stack.pop()
            order.append(node)
            stack.extend(kids[node])
        for node in reversed(order):
            team = by_id[node]
            if not kids[node] and node != top:
                continue  # a leaf is a block at its parent's level
            blocks: list[_Block] = []
            if team.invited > 0:
                blocks.append(own_block(team))
            for child in kids[node]:
                if not kids[child]:
                    if by_id[child].invited > 0:
                        blocks.append(own_block(by_id[child]))
                else:
                    rest = remainder.get(child)
                    if rest is not None:
                        blocks.append(rest)
            placed = _pool(blocks, k, by_id)
            small = [b for b in placed if b.invited < k]
            for b in placed:
                if b.invited >= k:
                    close(b, node)
            if small:
                merged = _Block(
                    [a for b in small for a in b.atoms],
                    sum(b.invited for b in small),
                    [n for b in small for n in b.names],
                    owner=node,
                )
                if team.parent_id is not None and team.parent_id in by_id:
                    remainder[node] = merged
                else:
                    close(merged, node)  # nowhere left to pool: this group can never report
                    never.append(groups[-1].id)
            else:
                remainder[node] = None

    return ReportingPlan(k=k, groups=groups, keys=_keys(by_id, kids, groups), never=never)


def _pool(blocks: list[_Block], k: int, by_id: Mapping[UUID, PlanTeam]) -> list[_Block]:
    """Merge the small blocks of one level: admin choices first, then the smallest partner."""
    pool = list(blocks)
    # A child's remainder is one block even when it holds several teams.
    kids_with_remainder = {b.owner for b in blocks if len(b.atoms) > 1}

    def find(team: UUID) -> _Block | None:
        return next((b for b in pool if team in b.atoms or b.owner == team), None)

    for b in list(pool):
        choice = by_id[b.owner].report_with if b.owner is not None else None
        # A choice is for a group too small to report alone, and only a sibling or the parent
        # fits: a choice the tree no longer allows (a team moved away since) is ignored.
        if (
            choice is None
            or b not in pool
            or b.invited >= k
            or not choice_fits(by_id, b.owner, choice)
        ):
            continue
        partner = find(choice)
        if partner is not None and partner is not b:
            pool.remove(b)
            pool.remove(partner)
            pool.append(_merge(b, partner))

    def size(b: _Block) -> tuple[int, str]:
        return (b.invited, _name(b.names))

    def partner_order(b: _Block) -> tuple[bool, int, str]:
        # A team of its own (a sibling, the parent's own members) before a group already
        # pooled at this level, so pooled groups stay as small and as few as they can.
        return (len(b.atoms) > 1 and b.owner not in kids_with_remainder, b.invited, _name(b.names))

    while True:
        small = sorted((b for b in pool if b.invited < k), key=size)
        if not small or len(pool) < 2:
            return pool
        b = small[0]
        others = sorted((o for o in pool if o is not b), key=partner_order)
        enough = [o for o in others if b.invited + o.invited >= k]
        partner = enough[0] if enough else others[0]
        pool.remove(b)
        pool.remove(partner)
        pool.append(_merge(b, partner))


def choice_fits(by_id: Mapping[UUID, PlanTeam], owner: UUID | None, choice: UUID) -> bool:
    """Whether `choice` is the parent of team `owner`, or a sibling, in this tree."""
    team, chosen = by_id.get(owner) if owner is not None else None, by_id.get(choice)
    if team is None or chosen is None or team.parent_id not in by_id:
        return False
    return choice == team.parent_id or chosen.parent_id == team.parent_id


def _merge(a: _Block, b: _Block) -> _Block:
    return _Block(a.atoms + b.atoms, a.invited + b.invited, a.names + b.names, owner=a.owner)


def _keys(
    by_id: Mapping[UUID, PlanTeam], kids: Mapping[UUID, list[UUID]], groups: list[Group]
) -> list[GroupKeyPlan]:
    group_of = {a: g for g in groups for a in g.teams}
    below: dict[UUID, set[UUID]] = {}
    order: list[UUID] = []
    stack = [t for t in by_id if by_id[t].parent_id not in by_id]
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(kids[node])
    for node in reversed(order):
        below[node] = {node}.union(*(below[c] for c in kids[node]))
    keys: list[GroupKeyPlan] = []
    for t in sorted(by_id, key=str):
        team = by_id[t]
        parent = team.parent_id if team.parent_id in by_id else None
        own = group_of.get(t)
        if own is None:  # nobody invited in the team itself
            keys.append(GroupKeyPlan(t, parent, "team", [t], team.name, 0, False))
        else:
            keys.append(
                GroupKeyPlan(
                    t, parent, "team", own.teams, own.name, own.invited, own.pooled, own.id
                )
            )
        atoms = below[t]
        members = {group_of[a].id: group_of[a] for a in atoms if a in group_of}
        invited = sum(by_id[a].invited for a in atoms)
        outside = sorted(
            {g.name for g in members.values() if not set(g.teams) <= atoms}, key=str.casefold
        )
        if not outside:
            keys.append(
                GroupKeyPlan(
                    t, parent, "subtree", sorted(atoms, key=str), team.name, invited, False
                )
            )
        elif not kids[t] and own is not None:
            # A pooled leaf: its subtree is its own members, reported with the pooled group.
            keys.append(
                GroupKeyPlan(t, parent, "subtree", own.teams, own.name, own.invited, True, own.id)
            )
        else:
            keys.append(
                GroupKeyPlan(t, parent, "subtree", None, " / ".join(outside), invited, True)
            )
    return keys


def reporting_tree(plan: ReportingPlan) -> tuple[WaveTree, set[GroupKey]]:
    """The cells suppression runs on: one per distinct set of people a key reports, nested.

    Returns the tree (each key -> its cell, each cell -> the cells directly inside it) and the
    keys that report nothing on their own. A cell's representative key is the first key that
    reports it, so rollup rows (one per key, each aggregated over its own atoms) give its n.
    """
    cell_of: dict[GroupKey, GroupKey] = {}
    rep: dict[frozenset[UUID], GroupKey] = {}
    unreportable: set[GroupKey] = set()
    for key in plan.keys:
        gk: GroupKey = (key.team_id, "team" if key.scope == "team" else "subtree")
        if key.atoms is None:
            unreportable.add(gk)
            continue
        atoms = frozenset(key.atoms)
        cell_of[gk] = rep.setdefault(atoms, gk)
    parent_of = {key.team_id: key.parent_id for key in plan.keys}
    subtree_atoms = {
        key.team_id: frozenset(key.atoms)
        for key in plan.keys
        if key.scope == "subtree" and key.atoms is not None and not key.pooled
    }
    children: dict[GroupKey, list[GroupKey]] = {cell: [] for cell in rep.values()}
    for atoms, cell in rep.items():
        # Parents are always reportable subtrees (groups partition the people). Walk up from
        # one of the cell's teams to the first subtree that strictly contains the cell.
        node: UUID | None = next(iter(atoms))
        while node is not None:
            around = subtree_atoms.get(node)
            if around is not None and atoms < around:
                children[rep[around]].append(cell)
                break
            node = parent_of.get(node)
    for parts in children.values():
        parts.sort(key=lambda c: (str(c[0]), c[1]))
    return WaveTree(cell_of, children), unreportable
