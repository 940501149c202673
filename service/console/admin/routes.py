"""Every admin console route, collected for the console's router (service/console/routes.py).

Each admin area adds its handlers here with one line, and its entry on the front page in
`home.AREAS`.
"""

from __future__ import annotations

from typing import Any

from .credentials import audit_page, keys, widgets
from .home import admin_home

HANDLERS: list[Any] = [admin_home]
HANDLERS += [*keys.HANDLERS, *widgets.HANDLERS, *audit_page.HANDLERS]
