"""Every admin console route, collected for the console's router (service/console/routes.py).

Each admin area adds its handlers here with one line, and its entry on the front page in
`home.AREAS`.
"""

from __future__ import annotations

from typing import Any

from .credentials import audit_page, keys, widgets
from .home import admin_home
from .pulses.routes import HANDLERS as PULSES
from .waves.routes import HANDLERS as WAVES

HANDLERS: list[Any] = [admin_home]
HANDLERS += PULSES
HANDLERS += WAVES
HANDLERS += [*keys.HANDLERS, *widgets.HANDLERS, *audit_page.HANDLERS]
