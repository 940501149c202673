"""The waves slice's route groups, mounted by service/app.py."""

from __future__ import annotations

from typing import Any

from .lifecycle import WaveController

WAVES: list[Any] = [WaveController]
