"""The respondent page's words in English and Dutch.

Item texts come from the item bank; everything around them (titles, scale labels, errors, the
anonymity note) lives here. `pick_locale` chooses the page language: an explicit `?lang=` wins,
then the person's own locale, then English.
"""

from __future__ import annotations

from typing import Final

LOCALES: Final = ("en", "nl")

_TEXT: Final[dict[str, dict[str, str]]] = {
    "en": {
        "title": "Team pulse",
        "intro": "A few short questions about how it is to work in your team. "
        "It takes about a minute.",
        "anonymous": "Your answers are anonymous. They are stored without your name, email, "
        "link or the time you answered, and mixed with your team's answers when the pulse "
        "closes. Results are only shown for groups of at least {k} people, so nobody who "
        "reads them, your manager included, can see what you answered.",
        "group_own": "Your answers count toward {group}: {invited}.",
        "group_pooled": "Your answers count toward “{group}” (your team is reported together "
        "with {partners}): {invited}.",
        "invited_one": "1 person was invited",
        "invited_many": "{n} people were invited",
        "group_shown": "Results are shown only if at least {k} of them answer.",
        "group_never": "Results are shown only when at least {k} people answer, so this "
        "group's results will not be shown.",
        "and": "and",
        "direct_members": "{team} (direct members)",
        "language": "Language",
        "comment_label": "Anything you would like to add? (optional)",
        "comment_hint": "Up to 2,000 characters. Comments are shown to your team lead only when "
        "at least {comment_k} people commented, without names. Please do not write names.",
        "submit": "Send my answers",
        "errors_title": "Please check your answers",
        "err_missing": "Please choose an answer.",
        "err_range": "Please choose one of the offered answers.",
        "err_comment_long": "Please keep your comment to 2,000 characters.",
        "err_comment_markup": "Please write your comment as plain text, without HTML tags.",
        "err_comment_control": "Your comment contains characters that cannot be stored.",
        "err_form": "The form could not be read. Please reload the page and try again.",
        "thanks_title": "Thank you",
        "thanks_body": "Your answers are in. You can close this page.",
        "unavailable_title": "This link cannot be used",
        "unavailable_body": "The link may be incomplete, or it may have been used already. "
        "Each link works once. If you think this is a mistake, ask your people team for help.",
        "closed_title": "This pulse has closed",
        "closed_body": "This pulse no longer accepts answers. You will get a new link for the "
        "next one. Thank you for your time.",
        "scale_1": "Strongly disagree",
        "scale_2": "Disagree",
        "scale_3": "Somewhat disagree",
        "scale_4": "Neither agree nor disagree",
        "scale_5": "Somewhat agree",
        "scale_6": "Agree",
        "scale_7": "Strongly agree",
        "scale_low": "Lowest",
        "scale_high": "Highest",
    },
    "nl": {
        "title": "Teampuls",
        "intro": "Een paar korte vragen over hoe het is om in je team te werken. "
        "Het kost ongeveer een minuut.",
        "anonymous": "Je antwoorden zijn anoniem. Ze worden bewaard zonder je naam, e-mailadres, "
        "link of het tijdstip waarop je antwoordde, en gemengd met de antwoorden van je team "
        "wanneer de puls sluit. Uitkomsten worden alleen getoond voor groepen van minstens {k} "
        "mensen, dus niemand die ze leest, ook je leidinggevende niet, kan zien wat jij "
        "antwoordde.",
        "group_own": "Je antwoorden tellen mee voor {group}: {invited}.",
        "group_pooled": "Je antwoorden tellen mee voor “{group}” (je team wordt samen met "
        "{partners} gerapporteerd): {invited}.",
        "invited_one": "er is 1 persoon uitgenodigd",
        "invited_many": "er zijn {n} mensen uitgenodigd",
        "group_shown": "Uitkomsten worden alleen getoond als minstens {k} van hen antwoorden.",
        "group_never": "Uitkomsten worden alleen getoond als minstens {k} mensen antwoorden, "
        "dus die van deze groep worden niet getoond.",
        "and": "en",
        "direct_members": "{team} (directe leden)",
        "language": "Taal",
        "comment_label": "Wil je nog iets toevoegen? (niet verplicht)",
        "comment_hint": "Maximaal 2.000 tekens. Opmerkingen zijn voor je teamleider alleen "
        "zichtbaar als minstens {comment_k} mensen iets schreven, zonder namen. Schrijf "
        "alsjeblieft geen namen.",
        "submit": "Verstuur mijn antwoorden",
        "errors_title": "Controleer je antwoorden",
        "err_missing": "Kies een antwoord.",
        "err_range": "Kies een van de aangeboden antwoorden.",
        "err_comment_long": "Houd je opmerking onder de 2.000 tekens.",
        "err_comment_markup": "Schrijf je opmerking als gewone tekst, zonder HTML-tags.",
        "err_comment_control": "Je opmerking bevat tekens die niet bewaard kunnen worden.",
        "err_form": "Het formulier kon niet gelezen worden. Laad de pagina opnieuw en probeer "
        "het nog eens.",
        "thanks_title": "Dank je wel",
        "thanks_body": "Je antwoorden zijn binnen. Je kunt deze pagina sluiten.",
        "unavailable_title": "Deze link werkt niet",
        "unavailable_body": "De link is misschien onvolledig, of al gebruikt. Elke link werkt "
        "één keer. Denk je dat dit niet klopt, vraag dan je HR-team om hulp.",
        "closed_title": "Deze puls is gesloten",
        "closed_body": "Deze puls neemt geen antwoorden meer aan. Voor de volgende krijg je een "
        "nieuwe link. Bedankt voor je tijd.",
        "scale_1": "Helemaal oneens",
        "scale_2": "Oneens",
        "scale_3": "Een beetje oneens",
        "scale_4": "Niet eens, niet oneens",
        "scale_5": "Een beetje eens",
        "scale_6": "Eens",
        "scale_7": "Helemaal eens",
        "scale_low": "Laagst",
        "scale_high": "Hoogst",
    },
}


def pick_locale(requested: str | None, person_locale: str | None = None) -> str:
    for candidate in (requested, person_locale):
        if candidate in LOCALES:
            return candidate
    return "en"


def t(locale: str, key: str, **values: object) -> str:
    text = _TEXT.get(locale, _TEXT["en"])[key]
    return text.format(**values) if values else text


def scale_labels(locale: str, low: int, high: int) -> list[tuple[int, str]]:
    """(value, label) for every point of a scale; the 7-point agree scale gets words throughout."""
    if (low, high) == (1, 7):
        return [(v, t(locale, f"scale_{v}")) for v in range(1, 8)]
    if (low, high) == (1, 5):
        return [
            (v, t(locale, f"scale_{w}")) for v, w in zip(range(1, 6), (1, 2, 4, 6, 7), strict=True)
        ]
    labels = [(v, str(v)) for v in range(low, high + 1)]
    labels[0] = (low, f"{low} – {t(locale, 'scale_low')}")
    labels[-1] = (high, f"{high} – {t(locale, 'scale_high')}")
    return labels
