"""The console's words in English and Dutch (texts.toml), and the few rules that pick them.

Hidden numbers are explained by their guard code (`reason()`), never by parsing the API's
English words. The language is the person's console choice, else their directory locale;
pages before sign-in take `?lang=` or the browser's Accept-Language.
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Final, Literal

Lang = Literal["en", "nl"]
LOCALES: Final = ("en", "nl")

_HERE: Final = Path(__file__).resolve().parent


def _load_texts() -> dict[str, dict[str, str]]:
    """texts.toml, plus one file per admin area (admin/texts/*.toml) so that each area keeps its
    words beside its code. A key may be defined once, and every key exists in both languages."""
    texts: dict[str, dict[str, str]] = {"en": {}, "nl": {}}
    for path in [_HERE / "texts.toml", *sorted((_HERE / "admin" / "texts").glob("*.toml"))]:
        loaded = tomllib.loads(path.read_text(encoding="utf-8"))
        if set(loaded) != {"en", "nl"} or set(loaded["en"]) != set(loaded["nl"]):
            odd = sorted(set(loaded.get("en", {})) ^ set(loaded.get("nl", {})))
            raise ValueError(f"{path.name}: needs [en] and [nl] with the same keys: {odd}")
        for lang in LOCALES:
            twice = set(texts[lang]) & set(loaded[lang])
            if twice:
                raise ValueError(f"{path.name}: keys defined twice: {sorted(twice)}")
            texts[lang].update(loaded[lang])
    return texts


_TEXTS: Final[dict[str, dict[str, str]]] = _load_texts()

DIMENSIONS: Final[dict[str, dict[str, str]]] = {
    "psychological_safety": {"en": "Psychological safety", "nl": "Psychologische veiligheid"},
    "speaking_up": {"en": "Speaking up", "nl": "Je uitspreken"},
    "trust": {"en": "Trust", "nl": "Vertrouwen"},
    "learning": {"en": "Learning and reflection", "nl": "Leren en reflecteren"},
    "follow_through": {"en": "Follow-through", "nl": "Doen wat we afspraken"},
}
_MONTHS: Final = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "nl": ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
}
_CHANGES: Final = {"up": "up", "down": "down", "no detectable change": "no_change"}


def pick(*candidates: str | None) -> Lang:
    for c in candidates:
        if c == "nl":
            return "nl"
        if c == "en":
            return "en"
    return "en"


def from_accept_language(header: str) -> Lang | None:
    return "nl" if header.strip().lower().startswith("nl") else None


def t(lang: str, key: str, **values: object) -> str:
    text = _TEXTS[pick(lang)][key]
    return text.format(**values) if values else text


def dimension_name(key: str, lang: str) -> str:
    names = DIMENSIONS.get(key)
    return names[pick(lang)] if names else key.replace("_", " ").capitalize()


def reason(code: str | None, lang: str, k: int, about: str | None = None) -> str:
    """A hidden number's reason in the reader's language, from the guard's code and, where
    the reason is about another group (`reason_about`), that group's name."""
    if code in ("complement", "pooled") and about:
        return t(lang, f"reason_{code}_about", k=k, about=about)
    known = {"few", "complement", "pooled", "open", "not_asked", "invitees", "unpublished"}
    return t(lang, f"reason_{code}" if code in known else "reason_unknown", k=k)


def pooled_group(group: str | None, pooled: bool, code: str | None) -> str | None:
    """The pooled group ("Data & Design") a wave point or heatmap row reports, else None: a
    team's own group needs no note, and a subtree hidden because part of it is pooled elsewhere
    has its reason instead."""
    return group if pooled and group and code != "pooled" else None


def change_words(change: str | None, lang: str) -> str | None:
    return t(lang, _CHANGES[change]) if change in _CHANGES else None


def band_words(band: str | None, lang: str) -> str | None:
    return t(lang, f"band_{band}") if band in ("high", "moderate", "low") else None


def day(value: date, lang: str) -> str:
    return f"{value.day} {_MONTHS[pick(lang)][value.month - 1]} {value.year}"


def signed(delta: float) -> str:
    """+4.2 / −3.0 with a real minus sign (read out correctly by screen readers)."""
    return f"+{delta:.1f}" if delta > 0 else f"−{abs(delta):.1f}" if delta < 0 else "0.0"
