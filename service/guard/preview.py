"""The reporting plan in words: what a preview shows an admin and what a pulse warns about.

`preview_plan()` plans the groups of a tree (plan.py) and says, for each group, whether it
reports on its own, together with another team, or never, and why, in words an admin can act
on ("Design has 3 people (fewer than 5): reported together with Data as “Data & Design”").
`warnings` names what needs attention: groups that can never report, and "report with"
choices the tree no longer allows. Pure, like the rest of the guard; the words are the API's
(English). Next to each reason and warning goes a `Said`: its code and the values its words
need, so a page words it in its reader's language from the code and never parses the English.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Literal, get_args
from uuid import UUID

import msgspec

from .plan import OWN_LABEL, Group, PlanTeam, choice_fits, plan_reporting
from .published import NOT_ABOUT_ANSWERS

Status = Literal["own", "pooled", "never"]
Count = Annotated[int, NOT_ABOUT_ANSWERS]  # people to be invited: directory data, no answers
# What a group's reason or a warning says, as a code; `Said` holds the values its words need.
SaidCode = Literal[
    "own",  # a group reports on its own: `invited`
    "pooled",  # `small` (each below k) reported together with `others` as `group`; `chosen`
    "pooled_as_is",  # a group of several teams, none below k: `group`, `invited`
    "never_reach",  # the pulse reaches only `invited` people (under `root`), fewer than k
    "never_left",  # `small` have `invited` people, and no group under `root` is left to pool
    "choice_ignored",  # warning: `team`'s choice of `chosen` (empty: outside the pulse) ignored
    "nobody",  # warning: nobody to invite yet
]
SAID_CODES: tuple[str, ...] = get_args(SaidCode)


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


class Named(msgspec.Struct, frozen=True):
    """A team (or a team's own members, `direct`) as a reason names it, with its invited count."""

    name: Annotated[
        str,
        msgspec.Meta(
            description='The team\'s own name, without "(direct members)"', examples=["Design"]
        ),
    ]
    invited: Annotated[
        Count, msgspec.Meta(description="Its people the wave would invite", examples=[3])
    ]
    direct: Annotated[
        bool,
        msgspec.Meta(
            description="True: the team's own members, apart from its sub-teams", examples=[False]
        ),
    ] = False


class Said(msgspec.Struct, frozen=True, kw_only=True):
    """A reason or a warning as a code and the values its words need, for any language.

    A warning about a group that can never report has that group's code ("never_reach",
    "never_left") and its `group`; the page says "... can never be reported: <reason>".
    """

    code: Annotated[
        SaidCode,
        msgspec.Meta(
            description=(
                "`own`, `pooled`, `pooled_as_is`, `never_reach`, `never_left`, "
                "`choice_ignored` or `nobody`"
            ),
            examples=["pooled"],
        ),
    ]
    k: Annotated[Count, msgspec.Meta(description="The pulse's k", examples=[5])]
    group: Annotated[
        list[Named],
        msgspec.Meta(description='The group\'s parts; its name joins their names with " & "'),
    ] = []
    invited: Annotated[
        Count,
        msgspec.Meta(description="People the group (or the pulse) would invite", examples=[10]),
    ] = 0
    small: Annotated[list[Named], msgspec.Meta(description="Parts below k")] = []
    others: Annotated[list[Named], msgspec.Meta(description="Parts at or above k")] = []
    chosen: Annotated[
        list[str],
        msgspec.Meta(
            description='Teams whose "report with" choice made this group; or the choice ignored',
            examples=[["Design"]],
        ),
    ] = []
    root: Annotated[
        str | None,
        msgspec.Meta(
            description="The subtree root a `never` reason names; null: it names none",
            examples=["Product"],
        ),
    ] = None
    team: Annotated[
        str | None,
        msgspec.Meta(description="The team whose choice is ignored", examples=[None]),
    ] = None


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
    why: Annotated[
        Said,
        msgspec.Meta(
            description=(
                "The reason as a code and the values its words need, for pages in other languages"
            )
        ),
    ]


class PlanPreview(msgspec.Struct, frozen=True):
    k: Count
    invited: Count  # everyone the wave would invite
    groups: list[PreviewGroup]  # never first, then pooled, then on their own; by name
    warnings: list[str]
    notes: list[Said] = []  # each warning as a code and values, in the same order


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

    def named(team: UUID) -> Named:
        return Named(by_id[team].name, by_id[team].invited, team in parents)

    groups: list[PreviewGroup] = []
    warnings: list[str] = []
    notes: list[Said] = []
    for g in plan.groups:
        parts = sorted(
            (PreviewPart(t, label(by_id[t]), by_id[t].invited) for t in g.teams),
            key=lambda p: (p.name.casefold(), p.team_id),
        )
        group = [named(p.team_id) for p in parts]
        if g.id in plan.never:
            why, said = _never_reason(g, parts, k, root_of(g.teams[0]), totals, len(roots))
            said = msgspec.structs.replace(
                said, group=group, small=[named(p.team_id) for p in parts]
            )
            if said.code == "never_reach":
                said = msgspec.structs.replace(said, small=[])
            groups.append(
                PreviewGroup(g.name, "never", parts, g.invited, f"Can never report: {why}", said)
            )
            warnings.append(f"{g.name} and its {_people(g.invited)} can never be reported: {why}.")
            notes.append(said)
        elif g.pooled:
            reason, said = _pooled_reason(g, parts, k, by_id)
            said = msgspec.structs.replace(
                said,
                group=group,
                small=[named(p.team_id) for p in parts if p.invited < k],
                others=[named(p.team_id) for p in parts if p.invited >= k],
            )
            groups.append(PreviewGroup(g.name, "pooled", parts, g.invited, reason, said))
        else:
            reason = f"Reported on its own: {_people(g.invited)}"
            said = Said(code="own", k=k, group=group, invited=g.invited)
            groups.append(PreviewGroup(g.name, "own", parts, g.invited, reason, said))
    order = {"never": 0, "pooled": 1, "own": 2}
    groups.sort(key=lambda g: (order[g.status], g.name.casefold()))
    for words, said in _ignored_choices(by_id.values(), by_id, k):
        warnings.append(words)
        notes.append(said)
    invited = sum(t.invited for t in by_id.values())
    if not invited and by_id:
        warnings.append(
            "Nobody to invite yet: the pulse's teams have no active people who have not opted "
            "out, so a wave cannot open."
        )
        notes.append(Said(code="nobody", k=k))
    return PlanPreview(k=k, invited=invited, groups=groups, warnings=warnings, notes=notes)


def _pooled_reason(
    g: Group, parts: list[PreviewPart], k: int, by_id: dict[UUID, PlanTeam]
) -> tuple[str, Said]:
    """The words, and a `Said` with the values only this function knows (the caller adds the
    group and its parts)."""
    small = [p for p in parts if p.invited < k]
    others = [p.name for p in parts if p.invited >= k]
    if not small:  # not made by the plan (it pools only what is below k); say what it is
        said = Said(code="pooled_as_is", k=k, invited=g.invited)
        return f"Reported together as “{g.name}” ({_people(g.invited)})", said
    if len(small) == 1:
        text = f"{small[0].name} has {_people(small[0].invited)} (fewer than {k})"
    else:
        sizes = [f"{p.name} has {_people(p.invited)}" for p in small]
        text = f"{_and(sizes)} (each fewer than {k})"
    together = f"together with {_and(others)} as" if others else "together as"
    chosen = [
        by_id[p.team_id].name
        for p in small
        if by_id[p.team_id].report_with in g.teams and by_id[p.team_id].report_with != p.team_id
    ]
    as_chosen = f", as chosen for {_and(chosen)}" if chosen else ""
    said = Said(code="pooled", k=k, invited=g.invited, chosen=chosen)
    return f"{text}: reported {together} “{g.name}” ({_people(g.invited)}){as_chosen}", said


def _never_reason(
    g: Group,
    parts: list[PreviewPart],
    k: int,
    root: PlanTeam,
    totals: dict[UUID, int],
    roots: int,
) -> tuple[str, Said]:
    if totals[root.id] == g.invited:
        under = "" if roots == 1 else f" under {root.name}"
        said = Said(
            code="never_reach", k=k, invited=g.invited, root=None if roots == 1 else root.name
        )
        return f"the pulse reaches only {_people(g.invited)}{under} (fewer than {k})", said
    names = _and([p.name for p in parts])
    said = Said(code="never_left", k=k, invited=g.invited, root=root.name)
    return (
        f"{names} {'has' if len(parts) == 1 else 'have'} {_people(g.invited)} (fewer than {k}), "
        f"and every other group under {root.name} reports on its own, so none is left to "
        "report them with"
    ), said


def _ignored_choices(
    teams: Iterable[PlanTeam], by_id: dict[UUID, PlanTeam], k: int
) -> list[tuple[str, Said]]:
    """Choices of small teams that the tree no longer allows (the default applies)."""
    out = []
    for t in sorted(teams, key=lambda t: (t.name.casefold(), t.id)):
        if t.report_with is None or t.invited >= k:
            continue
        if not choice_fits(by_id, t.id, t.report_with):
            chosen = by_id.get(t.report_with)
            what = chosen.name if chosen is not None else "a team outside this pulse"
            said = Said(
                code="choice_ignored",
                k=k,
                team=t.name,
                chosen=[chosen.name] if chosen is not None else [],
            )
            out.append(
                (
                    f"{t.name}'s choice to be reported together with {what} is ignored: it is "
                    f"not a sibling or the parent of {t.name} among the pulse's teams.",
                    said,
                )
            )
    return out
