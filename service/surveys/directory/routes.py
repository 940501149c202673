"""The directory's route groups, mounted by service/app.py."""

from __future__ import annotations

from typing import Any

from .importer import ImportController
from .people import PeopleController
from .teams import TeamController

TEAMS: list[Any] = [TeamController]
PEOPLE: list[Any] = [PeopleController]
IMPORT: list[Any] = [ImportController]
