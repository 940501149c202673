"""Subcommands of the surveys domain for the `candor` CLI."""

from __future__ import annotations

from typing import Any


def add_commands(sub: Any) -> None:
    """Register surveys subcommands (import, ...) on the top-level parser."""
