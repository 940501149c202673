"""Every admin console route, collected for the console's router (service/console/routes.py).

Each admin area adds its handlers here with one line, and its entry on the front page in
`home.AREAS`.
"""

from __future__ import annotations

from typing import Any

from .credentials import audit_page, keys, widgets
from .home import admin_home
from .org import org_chart
from .org_import import import_apply, import_check, import_form
from .people import people_search, person_page, save_person
from .pulses.routes import HANDLERS as PULSES
from .team_admin import save_leaders, save_report_with, team_admin
from .waves.routes import HANDLERS as WAVES

HANDLERS: list[Any] = [admin_home]
HANDLERS += [org_chart, import_form, import_check, import_apply]
HANDLERS += [team_admin, save_leaders, save_report_with]
HANDLERS += [people_search, person_page, save_person]
HANDLERS += PULSES
HANDLERS += WAVES
HANDLERS += [*keys.HANDLERS, *widgets.HANDLERS, *audit_page.HANDLERS]
