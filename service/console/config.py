"""The console's knobs, read once from the environment (CONSOLE_*), with safe defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from ..settings import SettingsError

# The issue fixes a sign-in link's life at 15 minutes; it is not a knob.
LINK_MINUTES = 15


@dataclass(frozen=True)
class ConsoleConfig:
    idle_minutes: int = 60  # a session unused this long ends
    session_hours: int = 12  # a session ends this long after sign-in, however busy
    links_per_hour: int = 5  # sign-in links one person can be sent per hour
    signin_per_client: int = 20  # sign-in requests per client address per 10 minutes

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ConsoleConfig:
        env = os.environ if env is None else env

        def whole(name: str, default: int, lo: int, hi: int) -> int:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                value = int(raw)
            except ValueError:
                raise SettingsError(f"{name} must be a whole number") from None
            if not lo <= value <= hi:
                raise SettingsError(f"{name} must be between {lo} and {hi}")
            return value

        return cls(
            idle_minutes=whole("CONSOLE_IDLE_MINUTES", cls.idle_minutes, 1, 24 * 60),
            session_hours=whole("CONSOLE_SESSION_HOURS", cls.session_hours, 1, 24 * 30),
            links_per_hour=whole("CONSOLE_LINKS_PER_HOUR", cls.links_per_hour, 1, 100),
            signin_per_client=whole("CONSOLE_SIGNIN_PER_CLIENT", cls.signin_per_client, 1, 10_000),
        )


@lru_cache(maxsize=1)
def console_config() -> ConsoleConfig:
    return ConsoleConfig.from_env()
