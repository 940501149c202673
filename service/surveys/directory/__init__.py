"""The directory slice: who can be asked. It owns the org chart (teams as a tree), the people
(email, display name, locale, team, active) and the bulk CSV import, through the admin API
(routes.py), the `candor import` command (cli.py) and nothing else.

    routes.py       HTTP handlers (TEAMS, PEOPLE, IMPORT, mounted by service/app.py)
    models.py       request and response bodies
    queries.py      every SQL statement of the slice
    teams.py        the tree: create, rename, move (no cycles), archive, list; the directory lock
    people.py       people: add, change, deactivate, read, list
    importer.py     the CSV import: resolve team paths, upsert all rows at once
    people_csv.py   reading and checking a people CSV (pure)
    cli.py          `candor import`

Identity data stays here: other slices read the `people` and `teams` tables in their own
queries (a wave freezes its population when it opens). The operator's CLI names teams by path
as the import does, through `find_teams`. Changes to a tree's shape hold
`teams.lock_directory()`.
"""

from __future__ import annotations

from .importer import find_teams

__all__ = ["find_teams"]
