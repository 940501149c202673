"""The shared text rules (service/text.py): what a name may hold, which addresses are sendable."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.surveys.delivery.mail import InvalidAddress, check_address
from service.text import (
    EMAIL_PATTERN,
    Email,
    Name,
    explain_pattern_error,
    has_control_characters,
    sendable_email,
    visible_text,
)

CONTROLS = [chr(c) for c in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]]


def _name_ok(value: str) -> bool:
    try:
        msgspec.convert(value, Name)
    except msgspec.ValidationError:
        return False
    return True


def _email_ok(value: str) -> bool:
    try:
        msgspec.convert(value, Email)
    except msgspec.ValidationError:
        return False
    return True


@pytest.mark.parametrize("control", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_every_control_character_is_refused_anywhere_in_a_name(control: str) -> None:
    assert has_control_characters(control)
    for name in (control + "Eng", "Eng" + control, "En" + control + "g", "Eng " + control):
        assert not _name_ok(name), repr(name)
        assert not visible_text(name), repr(name)


def test_visible_characters_and_inner_spaces_are_welcome() -> None:
    for name in ("Eng", " Eng ", "Équipe Zürich", "Eng – Ops", "日本チーム", "a\u00a0b", "x" * 200):
        assert _name_ok(name), name
        assert visible_text(name) and not has_control_characters(name)
    for blank in ("", " ", "\u00a0\u2003", "x" * 201):
        assert not _name_ok(blank), repr(blank)


@given(st.text(max_size=40))
def test_the_name_type_and_visible_text_are_one_rule(value: str) -> None:
    visible = any(not c.isspace() for c in value) and not any(c in CONTROLS for c in value)
    assert visible_text(value) == visible
    assert _name_ok(value) == (visible and len(value) <= 200)


@given(st.from_regex(EMAIL_PATTERN, fullmatch=True))
def test_every_address_the_api_takes_is_one_the_mailer_sends(address: str) -> None:
    if sendable_email(address):
        assert check_address(address) == address


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40) | st.emails())
def test_the_email_type_the_function_and_the_mailer_agree(address: str) -> None:
    assert _email_ok(address) == sendable_email(address)
    if sendable_email(address):
        check_address(address)


@pytest.mark.parametrize(
    "address",
    [
        "ü@example.test",
        "ann@exämple.test",
        "ann@example",
        "ann@-example.test",
        "ann@example.test\n",
        " ann@example.test",
        "ann smith@example.test",
        "<ann@example.test>",
        "a" * 65 + "@example.test",
        "ann@" + "a" * 250 + ".test",
    ],
)
def test_addresses_the_mailer_would_refuse_are_not_sendable(address: str) -> None:
    assert not sendable_email(address)
    assert not _email_ok(address)


def test_ordinary_addresses_are_sendable() -> None:
    for address in ("ann@example.com", "Ann.O'Neil+pulse@mail.example-corp.co.uk", "x@a.io"):
        assert sendable_email(address) and _email_ok(address)
        assert check_address(address) == address


def test_pattern_mismatches_are_explained_in_words() -> None:
    for value, rule, words in (
        ("Eng\n", Name, "control characters"),
        ("ü@x.test", Email, "mailer"),
    ):
        with pytest.raises(msgspec.ValidationError) as info:
            msgspec.convert(value, rule)
        assert words in explain_pattern_error(str(info.value))
    assert explain_pattern_error("Expected `int`, got `str`") == "Expected `int`, got `str`"


def test_the_mailer_refuses_what_is_not_sendable() -> None:
    # The mailer keeps its own copy of the rule for now; it must never be looser than ours.
    with pytest.raises(InvalidAddress):
        check_address("ü@example.test")
