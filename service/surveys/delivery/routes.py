"""The delivery slice's route groups, mounted by service/app.py."""

from __future__ import annotations

from typing import Any

from .optout import optout_confirm, optout_page
from .status import DeliveryStatusController

STATUS: list[Any] = [DeliveryStatusController]
OPT_OUT: list[Any] = [optout_page, optout_confirm]
