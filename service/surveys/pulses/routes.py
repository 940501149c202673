"""The pulses slice's route groups, mounted by service/app.py."""

from __future__ import annotations

from typing import Any

from .items import QuestionController
from .store import PulseController

ITEMS: list[Any] = [QuestionController]
PULSES: list[Any] = [PulseController]
