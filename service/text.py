"""What text people type into Candor may hold: names and texts, and email addresses.

A core module (it imports nothing from the slices): every slice's models take `Name`, `Text` and
`Email` from here, and paths that do not decode a Struct (the CSV import, the CLI) apply the
very same rules through `visible_text()`, `has_control_characters()` and `sendable_email()`.
Each rule is one regex, written so that a JSON-schema reader of the OpenAPI document
understands it the same way (no `\\Z`; see the note on `$(?!\\n)` below).
"""

from __future__ import annotations

import re
from typing import Annotated

import msgspec

# C0 controls (U+0000-U+001F: NUL, TAB, LF, CR, ESC, ...), DEL, and the C1 controls
# (U+0080-U+009F, NEL among them). None belongs in a name: they break CSV exports, log lines
# and mail headers, and render as nothing or as garbage.
CONTROL_CHARACTERS = r"\x00-\x1f\x7f-\x9f"

# Spaces, then one visible character, then anything but a control character. The three parts
# cannot overlap, so the match runs in one pass even on long input. `$(?!\n)`: Python's `$`
# also matches just before a final newline, which would let "Name\n" through.
VISIBLE_TEXT_PATTERN = (
    rf"^[^\S{CONTROL_CHARACTERS}]*[^\s{CONTROL_CHARACTERS}][^{CONTROL_CHARACTERS}]*$(?!\n)"
)

# The mailer's address rule (surveys/delivery/mail.py), made whole-string: an ASCII local part
# of 1-64 characters from RFC 5322's atom set, an @, and a dotted domain of ASCII letters,
# digits and inner hyphens. An address that passes here is never refused when a mail is built.
_LOCAL = r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
EMAIL_PATTERN = rf"^{_LOCAL}@{_LABEL}(?:\.{_LABEL})+$(?!\n)"
EMAIL_MAX_LENGTH = 254  # RFC 5321's limit on a forward path

Name = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=200,
        pattern=VISIBLE_TEXT_PATTERN,
        description="1-200 characters, not only spaces, no control characters",
    ),
]
Text = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=500,
        pattern=VISIBLE_TEXT_PATTERN,
        description="1-500 characters, not only spaces, no control characters",
    ),
]
Email = Annotated[
    str,
    msgspec.Meta(
        min_length=3,
        max_length=EMAIL_MAX_LENGTH,
        pattern=EMAIL_PATTERN,
        description="an address the mailer can send to (ASCII, a dotted domain)",
    ),
]

_VISIBLE = re.compile(VISIBLE_TEXT_PATTERN)
_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")
_EMAIL = re.compile(EMAIL_PATTERN)


def has_control_characters(value: str) -> bool:
    """True when `value` holds a C0 or C1 control character or DEL anywhere."""
    return _CONTROL.search(value) is not None


def visible_text(value: str) -> bool:
    """The rule of `Name` and `Text` without their lengths: something visible, no controls."""
    return _VISIBLE.search(value) is not None


def sendable_email(address: str) -> bool:
    """The one address rule: the API, the CSV import and the mailer accept the same addresses."""
    return len(address) <= EMAIL_MAX_LENGTH and _EMAIL.search(address) is not None


# msgspec names a failed pattern by its regex, which tells a client nothing; these words say
# what the field takes instead (errors.py swaps them in).
_PATTERN_WORDS = {
    VISIBLE_TEXT_PATTERN: (
        "Expected text with a visible character and no control characters "
        "(no line breaks, tabs or other invisible codes)."
    ),
    EMAIL_PATTERN: (
        "Expected an email address the mailer can send to: ASCII letters, digits and "
        "!#$%&'*+-/=?^_`{|}~. before the @, a dotted domain name after it."
    ),
}


def explain_pattern_error(message: str) -> str:
    """A validation message that quotes one of these patterns, put in words; others as given."""
    for pattern, words in _PATTERN_WORDS.items():
        if f"matching regex {pattern!r}" in message:
            return words
    return message
