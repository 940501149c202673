"""The waiting helpers return as soon as the condition holds, and fail in words once it cannot."""

from __future__ import annotations

import pytest

from tests.waiting import WaitedTooLong, wait_for, wait_until, wait_until_sync


async def test_wait_until_returns_once_the_condition_holds() -> None:
    asked = []

    async def third_time() -> bool:
        asked.append(1)
        return len(asked) >= 3

    await wait_until(third_time, "the third ask", interval=0)
    assert len(asked) == 3


async def test_wait_for_gives_back_the_value_it_waited_for() -> None:
    values = iter(["open", "closing", "closed"])
    assert await wait_for(lambda: next(values), lambda v: v == "closed", "closed", interval=0) == (
        "closed"
    )


async def test_a_condition_that_never_holds_fails_naming_what_and_the_last_value() -> None:
    with pytest.raises(WaitedTooLong, match="the wave to close; last saw 'open'"):
        await wait_for(lambda: "open", lambda v: v == "closed", "the wave to close", timeout=0.05)


def test_the_sync_form_fails_after_its_deadline_too() -> None:
    with pytest.raises(WaitedTooLong, match="a server"):
        wait_until_sync(lambda: False, "a server", timeout=0.05)
    wait_until_sync(lambda: True, "nothing")
