"""Waiting for something without sleeping on the wall clock: poll a condition until a deadline.

A test that waits for another process, thread or task asks "is it there yet?" again and again
(a short pause between asks) and fails with a message once the deadline has passed. It never
sleeps a fixed time and hopes: on a fast machine that wastes time, on a busy one it flakes.

    await wait_until(lambda: len(box.messages) >= 3, "three mails arrived")
    value = await wait_for(fetch_state, lambda s: s == "closed", "the wave closed")
    wait_until_sync(lambda: health(url) == 200, "the server answers", timeout=30)

Conditions may be plain functions or coroutine functions. `wait_for` returns the last value it
saw, so the caller can assert on it.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

# Between two asks; short, because most of what tests wait for takes milliseconds.
INTERVAL = 0.02


class WaitedTooLong(AssertionError):
    """The condition did not hold before the deadline."""


async def _value(fn: Callable[[], T | Awaitable[T]]) -> T:
    got = fn()
    if inspect.isawaitable(got):
        return await got
    return got


async def wait_for(
    fetch: Callable[[], T | Awaitable[T]],
    ok: Callable[[T], bool],
    what: str,
    *,
    timeout: float = 10.0,
    interval: float = INTERVAL,
) -> T:
    """Fetch a value until `ok(value)`; return it. Fails naming `what` and the last value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await _value(fetch)
        if ok(value):
            return value
        if loop.time() > deadline:
            raise WaitedTooLong(f"waited {timeout} s for {what}; last saw {value!r}")
        await asyncio.sleep(interval)


async def wait_until(
    condition: Callable[[], object | Awaitable[object]],
    what: str,
    *,
    timeout: float = 10.0,
    interval: float = INTERVAL,
) -> None:
    """Ask `condition` until it is true."""
    await wait_for(condition, bool, what, timeout=timeout, interval=interval)


def wait_until_sync(
    condition: Callable[[], object],
    what: str,
    *,
    timeout: float = 10.0,
    interval: float = INTERVAL,
) -> None:
    """The same for code without an event loop (fixtures that start processes and threads)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise WaitedTooLong(f"waited {timeout} s for {what}")
        time.sleep(interval)
