"""The reporting plan in words: what a preview shows an admin and what a pulse warns about.

`preview_plan()` plans the groups of a tree (plan.py) and says, for each group, whether it
reports on its own, together with another team, or never, and why, in words an admin can act
on ("Design has 3 people (fewer than 5): reported together with Data as “Data & Design”").
`warnings` names what needs attention: groups that can never report, and "report with"
choices the tree no longer allows. Pure, like the rest of the guard; the words are the API's
(English).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from .plan import OWN_LABEL, Group, PlanTeam, choice_fits, plan_reporting
from .published import NOT_ABOUT_ANSWERS

Status = Literal["own", "pooled", "never"]
Count = Annotated[int, NOT_ABOUT_ANSWERS]  # people to be invited: directory data, no answers


class PreviewPart(msgspec.Struct, frozen=True):
    """One team's own members inside a group."""

    team_id: Annotated[
        UUID,
        msgspec.Meta(
            description="A team whose own members are in the group",
            examples=["2b8e6a41-0c3d-4f5e-8a9b-7c1d2e3f4a50"],
        ),
    ]
    name: Annotated[
        str,
        msgspec.Meta(
            description='The team\'s name ("Eng (direct members)" for a team with sub-teams)',
            examples=["Data"],
        ),
    ]  # "Eng (direct members)" for a team with sub-teams
    invited: Annotated[
        Count, msgspec.Meta(description="Its people the wave would invite", examples=[7])
    ]


class PreviewGroup(msgspec.Struct, frozen=True):
    name: Annotated[
        str,
        msgspec.Meta(description="The group's name, from its parts", examples=["Data & Design"]),
    ]
    status: Annotated[
        Status,
        msgspec.Meta(
            description=(
                "`never` (can never reach k), `pooled` (reported together with another team) or "
                "`own`"
            ),
            examples=["pooled"],
        ),
    ]
    parts: Annotated[
        list[PreviewPart], msgspec.Meta(description="The teams whose members form the group")
    ]
    invited: Annotated[
        Count, msgspec.Meta(description="People the wave would invite to the group", examples=[10])
    ]
    reason: Annotated[
        str,
        msgspec.Meta(
            description="Why the group is what it is, in words",
            examples=[
                (
                    "Design has 3 people (fewer than 5): reported together with Data as “Data & "
                    "Design” (10 people)"
                )
            ],
        ),
    ]


class PlanPreview(msgspec.Struct, frozen=True):
    k: Count
    invited: Count  # everyone the wave would invite
    groups: list[PreviewGroup]  # never first, then pooled, then on their own; by name
    warnings: list[str]


def _people(n: int) -> str:
    return "1 person" if n == 1 else f"{n} people"


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def preview_plan(teams: Iterable[PlanTeam], k: int) -> PlanPreview:
    """The groups a wave over `teams` (today's tree, invited counts, choices) would report."""
    by_id = {t.id: t for t in teams}
    plan = plan_reporting(by_id.values(), k)
    parents = {t.parent_id for t in by_id.values() if t.parent_id in by_id}
    roots = [t for t in by_id.values() if t.parent_id not in by_id]

    def label(team: PlanTeam) -> str:
        return OWN_LABEL.format(team=team.name) if team.id in parents else team.name

    def root_of(team: UUID) -> PlanTeam:
        node = by_id[team]
        while node.parent_id is not None and node.parent_id in by_id:
            node = by_id[node.parent_id]
        return node

    totals: dict[UUID, int] = {}
    for t in by_id.values():
        top = root_of(t.id).id
        totals[top] = totals.get(top, 0) + t.invited

    groups: list[PreviewGroup] = []
    warnings: list[str] = []
    for g in plan.groups:
        parts = sorted(
            (PreviewPart(t, label(by_id[t]), by_id[t].invited) for t in g.teams),
            key=lambda p: (p.name.casefold(), p.team_id),
        )
        if g.id in plan.never:
            why = _never_reason(g, parts, k, root_of(g.teams[0]), totals, len(roots))
            groups.append(
                PreviewGroup(g.name, "never", parts, g.invited, f"Can never report: {why}")
            )
            warnings.append(f"{g.name} and its {_people(g.invited)} can never be reported: {why}.")
        elif g.pooled:
            groups.append(
                PreviewGroup(g.name, "pooled", parts, g.invited, _pooled_reason(g, parts, k, by_id))
            )
        else:
            reason = f"Reported on its own: {_people(g.invited)}"
            groups.append(PreviewGroup(g.name, "own", parts, g.invited, reason))
    order = {"never": 0, "pooled": 1, "own": 2}
    groups.sort(key=lambda g: (order[g.status], g.name.casefold()))
    warnings += _ignored_choices(by_id.values(), by_id, k)
    invited = sum(t.invited for t in by_id.values())
    if not invited and by_id:
        warnings.append(
            "Nobody to invite yet: the pulse's teams have no active people who have not opted "
            "out, so a wave cannot open."
        )
    return PlanPreview(k=k, invited=invited, groups=groups, warnings=warnings)


def _pooled_reason(g: Group, parts: list[PreviewPart], k: int, by_id: dict[UUID, PlanTeam]) -> str:
    small = [p for p in parts if p.invited < k]
    others = [p.name for p in parts if p.invited >= k]
    if not small:  # not made by the plan (it pools only what is below k); say what it is
        return f"Reported together as “{g.name}” ({_people(g.invited)})"
    if len(small) == 1:
        said = f"{small[0].name} has {_people(small[0].invited)} (fewer than {k})"
    else:
        sizes = [f"{p.name} has {_people(p.invited)}" for p in small]
        said = f"{_and(sizes)} (each fewer than {k})"
    together = f"together with {_and(others)} as" if others else "together as"
    chosen = [
        by_id[p.team_id].name
        for p in small
        if by_id[p.team_id].report_with in g.teams and by_id[p.team_id].report_with != p.team_id
    ]
    as_chosen = f", as chosen for {_and(chosen)}" if chosen else ""
    return f"{said}: reported {together} “{g.name}” ({_people(g.invited)}){as_chosen}"


def _never_reason(
    g: Group,
    parts: list[PreviewPart],
    k: int,
    root: PlanTeam,
    totals: dict[UUID, int],
    roots: int,
) -> str:
    if totals[root.id] == g.invited:
        under = "" if roots == 1 else f" under {root.name}"
        return f"the pulse reaches only {_people(g.invited)}{under} (fewer than {k})"
    names = _and([p.name for p in parts])
    return (
        f"{names} {'has' if len(parts) == 1 else 'have'} {_people(g.invited)} (fewer than {k}), "
        f"and every other group under {root.name} reports on its own, so none is left to "
        "report them with"
    )


def _ignored_choices(teams: Iterable[PlanTeam], by_id: dict[UUID, PlanTeam], k: int) -> list[str]:
    """Choices of small teams that the tree no longer allows (the default applies)."""
    out = []
    for t in sorted(teams, key=lambda t: (t.name.casefold(), t.id)):
        if t.report_with is None or t.invited >= k:
            continue
        if not choice_fits(by_id, t.id, t.report_with):
            chosen = by_id.get(t.report_with)
            what = chosen.name if chosen is not None else "a team outside this pulse"
            out.append(
                f"{t.name}'s choice to be reported together with {what} is ignored: it is not "
                f"a sibling or the parent of {t.name} among the pulse's teams."
            )
    return out
