"""Talk-about-it guides: open questions per dimension for a 30-minute team conversation.

The questions are data (guides/*.toml, en + nl, the project's own words), loaded and checked
once: every guide has 3 to 5 questions in both languages.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Annotated

import msgspec

GUIDES_DIR = Path(__file__).resolve().parent / "guides"


class GuideText(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    why: str
    questions: Annotated[list[str], msgspec.Meta(min_length=3, max_length=5)]


class Guide(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    dimension: str
    en: GuideText
    nl: GuideText

    def text(self, lang: str) -> GuideText:
        return self.nl if lang == "nl" else self.en


@lru_cache(maxsize=1)
def guides() -> dict[str, Guide]:
    """dimension -> guide; a broken file fails loudly at start-up."""
    found: dict[str, Guide] = {}
    for path in sorted(GUIDES_DIR.glob("*.toml")):
        try:
            guide = msgspec.convert(tomllib.loads(path.read_text(encoding="utf-8")), Guide)
        except msgspec.ValidationError as exc:
            raise ValueError(f"{path.name}: {exc}") from None
        found[guide.dimension] = guide
    return found


def guide_for(dimension: str) -> Guide | None:
    return guides().get(dimension)
