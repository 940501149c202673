"""What a widget shows, in the viewer's language: `WidgetView`, built from the guarded trend only.

The three embed forms (iframe page, web component via JSON, badge) all render a `WidgetView`, and
`WidgetView` is built by `view_from_trend()` from the Struct that `analytics.trends.team_trend()`
returns after the anonymity guard. Nothing here reads the database, so a widget can never show a
number that the leader API would not; it shows fewer (rounded to whole points).
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from ...guard import DERIVED, NOT_ABOUT_ANSWERS

Lang = Literal["en", "nl"]
Change = Literal["up", "down", "no detectable change"]
Status = Literal["ok", "suppressed", "not_published"]

DIMENSION_NAMES: dict[str, dict[str, str]] = {
    "psychological_safety": {"en": "psychological safety", "nl": "psychologische veiligheid"},
    "speaking_up": {"en": "speaking up", "nl": "je uitspreken"},
    "trust": {"en": "trust", "nl": "vertrouwen"},
    "learning": {"en": "learning and reflection", "nl": "leren en reflecteren"},
}

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Team pulse",
        "latest": "latest",
        "change": "change",
        "dimension": "dimension",
        "participation": "participation",
        "up": "up",
        "down": "down",
        "no detectable change": "no detectable change",
        "few": "too few answered in that round (at least {k} needed)",
        "pooled": "reported only together with other teams",
        "group_note": "Reported together as “{group}”: too few people for a group of its own.",
        "complement": "hidden so that a small group elsewhere stays anonymous",
        "not_published": "no results yet: numbers appear once a survey round has closed",
        "unavailable": "This widget is unavailable.",
        "unavailable_short": "unavailable",
        "invalid": "This widget link has a parameter it cannot use.",
        "scale": "Scores 0–100, higher is better. Only shown when at least {k} people answered.",
        "chart_title": "{team}: trend over the last {n} rounds",
        "chart_desc": "Line chart of {dims} on a 0 to 100 scale.",
        "no_score": "no score",
        "not_asked": "not asked in the latest round",
        "rounds": "rounds",
        "focus": "Our focus",
        "focus_since": "since",
    },
    "nl": {
        "title": "Teampuls",
        "latest": "laatste",
        "change": "verandering",
        "dimension": "thema",
        "participation": "deelname",
        "up": "omhoog",
        "down": "omlaag",
        "no detectable change": "geen aantoonbare verandering",
        "few": "te weinig reacties in die ronde (minstens {k} nodig)",
        "pooled": "alleen samen met andere teams gerapporteerd",
        "group_note": "Samen gerapporteerd als “{group}”: te weinig mensen voor een eigen groep.",
        "complement": "verborgen zodat een kleine groep elders anoniem blijft",
        "not_published": "nog geen resultaten: cijfers verschijnen zodra een ronde is gesloten",
        "unavailable": "Deze widget is niet beschikbaar.",
        "unavailable_short": "niet beschikbaar",
        "invalid": "Deze widgetlink bevat een parameter die niet klopt.",
        "scale": (
            "Scores 0–100, hoger is beter. Alleen getoond als minstens {k} mensen antwoordden."
        ),
        "chart_title": "{team}: verloop over de laatste {n} rondes",
        "chart_desc": "Lijngrafiek van {dims} op een schaal van 0 tot 100.",
        "no_score": "geen score",
        "not_asked": "niet gevraagd in de laatste ronde",
        "rounds": "rondes",
        "focus": "Onze focus",
        "focus_since": "sinds",
    },
}


def text(lang: Lang, key: str, **values: object) -> str:
    return TEXTS[lang][key].format(**values)


def dimension_name(key: str, lang: Lang) -> str:
    names = DIMENSION_NAMES.get(key)
    return names[lang] if names else key.replace("_", " ")


class PointView(msgspec.Struct, frozen=True):
    wave: str  # a short label of the round (its closing date)
    score: Annotated[int | None, DERIVED]  # 0-100, None when this round's cell is hidden


class DimensionView(msgspec.Struct, frozen=True):
    key: str
    name: str
    points: list[PointView]
    latest: Annotated[int | None, DERIVED]
    delta: Annotated[int | None, DERIVED]
    change: Change | None
    change_text: str | None
    note: str | None  # why the latest round shows no score, in the viewer's words


class FocusView(msgspec.Struct, frozen=True):
    """What the team agreed to work on, when its leader chose to show it here."""

    dimension: str  # in the viewer's language
    trying: str  # what the team will try (a leader's words, at most 280 characters)
    since: str  # a short date label


class WidgetView(msgspec.Struct, frozen=True):
    team: str
    lang: Lang
    k: Annotated[int, NOT_ABOUT_ANSWERS]
    status: Status
    message: str | None
    waves: list[str]
    dimensions: list[DimensionView]
    participation: str | None  # banded, e.g. "70–75%"
    texts: dict[str, str]
    # When the latest round reported the team together with another ("Data & Design").
    group_note: str | None = None
    focus: FocusView | None = None


def ui_texts(lang: Lang, k: int) -> dict[str, str]:
    """The labels the web component needs, so it carries no translations of its own."""
    keys = (
        "title",
        "latest",
        "change",
        "dimension",
        "participation",
        "no_score",
        "rounds",
        "focus",
        "focus_since",
    )
    out = {key: TEXTS[lang][key] for key in keys}
    out["scale"] = text(lang, "scale", k=k)
    return out


def reason_text(reason: str | None, lang: Lang, k: int) -> str:
    """A kind explanation of a guard reason code; unknown codes read as 'not enough responses'."""
    if reason == "complement":
        return text(lang, "complement")
    return text(lang, "few", k=k)
