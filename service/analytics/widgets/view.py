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
    wave: Annotated[
        str,
        msgspec.Meta(
            description="A short label of the round (its closing date)", examples=["12 Jan"]
        ),
    ]  # a short label of the round (its closing date)
    score: Annotated[
        Annotated[int | None, DERIVED],
        msgspec.Meta(
            description="The 0-100 score; null when this round's number is held back", examples=[73]
        ),
    ]  # 0-100, None when this round's cell is hidden


class DimensionView(msgspec.Struct, frozen=True):
    key: Annotated[
        str, msgspec.Meta(description="The dimension's key", examples=["psychological_safety"])
    ]
    name: Annotated[
        str,
        msgspec.Meta(
            description="Its name in the viewer's language", examples=["psychological safety"]
        ),
    ]
    points: Annotated[
        list[PointView], msgspec.Meta(description="One point per round, oldest first")
    ]
    latest: Annotated[
        Annotated[int | None, DERIVED],
        msgspec.Meta(description="The latest shown score (0-100); null when none", examples=[73]),
    ]
    delta: Annotated[
        Annotated[int | None, DERIVED],
        msgspec.Meta(
            description="Change since the previous shown score; null when there is none",
            examples=[4],
        ),
    ]
    change: Annotated[
        Change | None,
        msgspec.Meta(
            description=(
                "`up`, `down` or `no detectable change`; null when there is nothing to compare"
            ),
            examples=["no detectable change"],
        ),
    ]
    change_text: Annotated[
        str | None,
        msgspec.Meta(
            description="The change in words, in the viewer's language",
            examples=["No detectable change since the last round"],
        ),
    ]
    note: Annotated[
        str | None,
        msgspec.Meta(
            description=(
                "Why the latest round shows no score, in the viewer's words; null when it shows one"
            ),
            examples=[None],
        ),
    ]  # why the latest round shows no score, in the viewer's words


class FocusView(msgspec.Struct, frozen=True):
    """What the team agreed to work on, when its leader chose to show it here."""

    dimension: Annotated[
        str,
        msgspec.Meta(
            description="The dimension the team chose to work on, in the viewer's language",
            examples=["speaking up"],
        ),
    ]  # in the viewer's language
    trying: Annotated[
        str,
        msgspec.Meta(
            description="What the team will try, in its leader's words (at most 280 characters)",
            examples=["Start each retro with what surprised us"],
        ),
    ]  # what the team will try (a leader's words, at most 280 characters)
    since: Annotated[
        str,
        msgspec.Meta(description="A short date label of when it was chosen", examples=["5 Jan"]),
    ]  # a short date label


class WidgetView(msgspec.Struct, frozen=True):
    team: Annotated[
        str, msgspec.Meta(description="The team (or group) the widget shows", examples=["Platform"])
    ]
    lang: Annotated[Lang, msgspec.Meta(description="The language of the texts", examples=["en"])]
    k: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(description="Numbers rest on at least this many respondents", examples=[5]),
    ]
    status: Annotated[
        Status,
        msgspec.Meta(
            description=(
                "`ok`; `suppressed` when the anonymity guard holds back every score; "
                "`not_published` while no round has closed yet"
            ),
            examples=["ok"],
        ),
    ]
    message: Annotated[
        str | None,
        msgspec.Meta(
            description="Why nothing is shown, in the viewer's words; null when status is ok",
            examples=[None],
        ),
    ]
    waves: Annotated[
        list[str],
        msgspec.Meta(
            description="Labels of the rounds shown, oldest first",
            examples=[["8 Dec", "22 Dec", "12 Jan"]],
        ),
    ]
    dimensions: Annotated[list[DimensionView], msgspec.Meta(description="One entry per dimension")]
    participation: Annotated[
        str | None,
        msgspec.Meta(
            description=(
                "Participation in the latest closed round, rounded to 5 points; null when not shown"
            ),
            examples=["70%"],
        ),
    ]  # banded, e.g. "70–75%"
    texts: Annotated[
        dict[str, str],
        msgspec.Meta(
            description="Labels for the chart in the viewer's language",
            examples=[{"title": "Team pulse", "latest": "latest", "change": "change"}],
        ),
    ]
    # When the latest round reported the team together with another ("Data & Design").
    group_note: Annotated[
        str | None,
        msgspec.Meta(
            description=(
                "When the latest round reported the team together with another, that in words"
            ),
            examples=[None],
        ),
    ] = None
    focus: Annotated[
        FocusView | None,
        msgspec.Meta(
            description=(
                "What the team agreed to work on, when its leader chose to show it; null otherwise"
            )
        ),
    ] = None


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
