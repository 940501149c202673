"""Refusals and the reporting plan in the reader's language, worded from codes, never parsed.

The service's refusals (CandorError) and the plan's reasons and warnings (guard/preview.py's
`Said`) carry English words for the API, and next to them a code with the values the words
need. The admin pages word them here from texts/refusals.toml and texts/plan.toml; every
code has words in both languages (tests/test_admin_words.py walks them all).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Protocol

import msgspec

from ...errors import CandorError
from ...guard import NOT_ABOUT_ANSWERS
from ...guard.preview import Said
from ...orgs import FLOOR_CODES
from ...surveys.pulses import RULE_CODES, DraftPreview
from ...surveys.waves import WAVE_CODES
from .. import i18n

# Every refusal code an admin page may show, as the service raises it.
REFUSAL_CODES: tuple[str, ...] = (
    *(f"pulse.{c}" for c in RULE_CODES),
    *FLOOR_CODES,
    *WAVE_CODES,
)

# The text keys each plan code is worded with (the test checks they exist in en and nl).
PLAN_KEYS: dict[str, tuple[str, ...]] = {
    "own": ("plan_own",),
    "pooled": (
        "plan_small_one",
        "plan_small_many",
        "plan_has",
        "plan_pooled_with",
        "plan_pooled_alone",
        "plan_pooled_chosen",
    ),
    "pooled_as_is": ("plan_pooled_as_is",),
    "never_reach": ("plan_never", "plan_never_reach", "plan_never_reach_under", "plan_warn_never"),
    "never_left": ("plan_never", "plan_never_left_one", "plan_never_left_many", "plan_warn_never"),
    "choice_ignored": ("plan_warn_choice", "plan_warn_choice_outside"),
    "nobody": ("plan_warn_nobody",),
}


def refusal_key(code: str) -> str:
    return "refused_" + code.replace(".", "_")


def refusal(exc: CandorError, lang: str) -> str:
    """A refusal in the reader's language; the API's words only for a refusal without a code
    (one that no admin form can cause, such as another org's pulse)."""
    if exc.code is None or exc.code not in REFUSAL_CODES:
        return exc.detail
    values = {k: ", ".join(v) if isinstance(v, list) else v for k, v in exc.values.items()}
    return i18n.t(lang, refusal_key(exc.code), **values)


def people(n: int, lang: str) -> str:
    return i18n.t(lang, "plan_person") if n == 1 else i18n.t(lang, "plan_people", n=n)


def and_list(names: list[str], lang: str) -> str:
    if len(names) <= 1:
        return "".join(names)
    return i18n.t(lang, "plan_and", first=", ".join(names[:-1]), last=names[-1])


class _Part(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def direct(self) -> bool: ...


def label(part: _Part, lang: str) -> str:
    """A team's name, or "<team> (direct members)" for a team's own members."""
    return i18n.t(lang, "plan_direct", team=part.name) if part.direct else part.name


def group_name(parts: Sequence[_Part], lang: str) -> str:
    """A group's name from its parts ("Data & Design"), as the plan names it."""
    return " & ".join(sorted({label(p, lang) for p in parts}, key=str.casefold))


def reason(said: Said, lang: str) -> str:
    """A group's reason: why it reports on its own, together with another group, or never."""
    n = people(said.invited, lang)
    if said.code == "own":
        return i18n.t(lang, "plan_own", people=n)
    if said.code == "pooled_as_is":
        return i18n.t(lang, "plan_pooled_as_is", group=group_name(said.group, lang), people=n)
    if said.code == "pooled":
        return _pooled(said, lang)
    return i18n.t(lang, "plan_never", why=_never_why(said, lang))


def _pooled(said: Said, lang: str) -> str:
    small = said.small
    if len(small) == 1:
        sizes = i18n.t(
            lang,
            "plan_small_one",
            name=label(small[0], lang),
            people=people(small[0].invited, lang),
            k=said.k,
        )
    else:
        each = [
            i18n.t(lang, "plan_has", name=label(p, lang), people=people(p.invited, lang))
            for p in small
        ]
        sizes = i18n.t(lang, "plan_small_many", sizes=and_list(each, lang), k=said.k)
    group = group_name(said.group, lang)
    n = people(said.invited, lang)
    if said.others:
        others = and_list([label(p, lang) for p in said.others], lang)
        text = i18n.t(lang, "plan_pooled_with", said=sizes, others=others, group=group, people=n)
    else:
        text = i18n.t(lang, "plan_pooled_alone", said=sizes, group=group, people=n)
    if said.chosen:
        text += i18n.t(lang, "plan_pooled_chosen", chosen=and_list(said.chosen, lang))
    return text


def _never_why(said: Said, lang: str) -> str:
    n = people(said.invited, lang)
    if said.code == "never_reach":
        if said.root is None:
            return i18n.t(lang, "plan_never_reach", people=n, k=said.k)
        return i18n.t(lang, "plan_never_reach_under", people=n, root=said.root, k=said.k)
    names = and_list([label(p, lang) for p in said.small], lang)
    key = "plan_never_left_one" if len(said.small) == 1 else "plan_never_left_many"
    return i18n.t(lang, key, names=names, people=n, root=said.root or "", k=said.k)


def warning(said: Said, lang: str) -> str:
    """A warning of the plan: a group that can never report, a choice that no longer fits,
    nobody to invite."""
    if said.code == "choice_ignored":
        if said.chosen:
            return i18n.t(lang, "plan_warn_choice", team=said.team or "", chosen=said.chosen[0])
        return i18n.t(lang, "plan_warn_choice_outside", team=said.team or "")
    if said.code == "nobody":
        return i18n.t(lang, "plan_warn_nobody")
    return i18n.t(
        lang,
        "plan_warn_never",
        group=group_name(said.group, lang),
        people=people(said.invited, lang),
        why=_never_why(said, lang),
    )


class GroupWords(msgspec.Struct, frozen=True):
    name: str
    status: str
    invited: Annotated[int, NOT_ABOUT_ANSWERS]  # people to invite: directory data
    reason: str


class PlanWords(msgspec.Struct, frozen=True):
    """A preview's plan as a page shows it, in one language."""

    groups: list[GroupWords]
    never: list[str]  # the teams whose answers could never be reported
    warnings: list[str]


def plan_words(preview: DraftPreview, lang: str) -> PlanWords:
    groups = [
        GroupWords(
            group_name(g.why.group, lang) or g.name, g.status, g.invited, reason(g.why, lang)
        )
        for g in preview.groups
    ]
    never = sorted(
        {label(p, lang) for g in preview.groups if g.status == "never" for p in g.why.group},
        key=str.casefold,
    )
    return PlanWords(groups, never, [warning(s, lang) for s in preview.notes])
