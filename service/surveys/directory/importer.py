"""Bulk import of people from CSV: check every row first, then upsert them all at once.

The file is UTF-8 CSV with a header row. Columns (any order; only the first two are required):

    email, display_name, locale, team, active, leads

- email: matched case-insensitively against the org's people (upsert key).
- locale: `en` or `nl`.
- team: a path of team names from a root, "Engineering/Platform" (names matched
  case-insensitively; missing teams are created unless `create_teams` is off), or a team id.
- active: true/false, yes/no, 1/0.
- leads: the teams this person leads, as paths or ids separated by "|"
  ("Engineering|Engineering/Platform"). Each must name a team that exists (or that this file's
  team column creates). It adds leaders; it never takes anyone's leadership away.
- An empty cell, or an absent column, leaves an existing person's value as it is; new people
  get the defaults (locale `en`, no team, active).

All or nothing: every bad row is reported by line number and reason and nothing is written.
Names and emails follow the API's rules (people_csv.py checks them with service/text.py).
The rows travel by COPY into a temporary table and are applied with a few set-based statements,
so ten thousand people take well under a second of database time. A dry run does the very same
work inside a transaction that is then rolled back, so its counts are exactly what a real run
would do. A real import is logged as one entry with its counts (service/audit.py).
`preview_import()` is that dry run plus the diff person by person, for the admin console.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import asyncpg

from ...audit import Actor, record
from ...errors import Conflict, InvalidInput, PayloadTooLarge
from . import queries
from .models import ImportChange, ImportChanges, ImportLead, ImportReport
from .people_csv import TEAM_ID, ProgressFn, Row, RowErrors, parse_people_csv
from .teams import lock_directory

# The temporary table CREATE_IMPORT_TABLE makes, and the columns COPY fills.
IMPORT_TABLE = "people_import"
IMPORT_COLUMNS = ("line", "email", "email_key", "display_name", "locale", "team_id", "active")
LEADS_TABLE = "people_import_leads"
LEADS_COLUMNS = ("line", "email", "email_key", "team_ref", "team_id")
# A preview lists at most this many people of each kind (the counts are always whole).
DIFF_LISTED = 500

MAX_IMPORT_BYTES = 16 * 1024 * 1024


async def org_exists(conn: asyncpg.Connection, org_id: UUID) -> bool:
    return bool(await conn.fetchval(queries.ORG_EXISTS, org_id))


async def _resolve_teams(
    conn: asyncpg.Connection,
    org_id: UUID,
    rows: list[Row],
    create: bool,
    errors: RowErrors,
    column: str = "team",
) -> list[str]:
    """Fill in each row's team_id; create missing path teams (when allowed). Returns new paths."""
    teams = await conn.fetch(queries.IMPORT_TEAMS, org_id)
    by_id = {t["id"]: t for t in teams}
    child: dict[tuple[UUID | None, str], UUID] = {
        (t["parent_id"], t["name"].lower()): t["id"] for t in teams if not t["archived"]
    }
    created: list[str] = []
    for row in rows:
        if row.team is None:
            continue
        if TEAM_ID.match(row.team):
            found = by_id.get(UUID(row.team))
            if found is None:
                errors.add(row.line, column, f"Unknown team id {row.team}.")
            elif found["archived"]:
                errors.add(row.line, column, f"Team {row.team} is archived.")
            else:
                row.team_id = found["id"]
            continue
        parent: UUID | None = None
        path: list[str] = []
        for name in (p.strip() for p in row.team.split("/")):
            path.append(name)
            team_id = child.get((parent, name.lower()))
            if team_id is None:
                if not create:
                    errors.add(row.line, column, f"Unknown team {'/'.join(path)!r}.")
                    break
                team_id = await conn.fetchval(queries.IMPORT_INSERT_TEAM, org_id, parent, name)
                child[(parent, name.lower())] = team_id
                created.append("/".join(path))
            parent = team_id
        else:
            row.team_id = parent
    return created


async def find_teams(conn: asyncpg.Connection, org_id: UUID, refs: list[str]) -> list[UUID]:
    """The org's teams named by `refs`, each read exactly as the import reads its team column:
    a path of names from a root ("Engineering/Platform", case-insensitive) or a team id.

    Creates nothing. Raises InvalidInput naming every reference that matches no live team.
    """
    rows = [Row(n, "", "", None, ref.strip(), None) for n, ref in enumerate(refs, start=1)]
    errors = RowErrors()
    await _resolve_teams(conn, org_id, rows, False, errors)
    if errors.count:
        raise InvalidInput(" ".join(e["reason"] for e in errors.items))
    return [r.team_id for r in rows if r.team_id is not None]


async def _resolve_leads(
    conn: asyncpg.Connection, org_id: UUID, rows: list[Row], errors: RowErrors
) -> list[tuple[Any, ...]]:
    """The (line, email, email key, team ref, team id) pairs of the `leads` column. Runs after
    the team column, so a file may name a team in `team` and make someone its leader."""
    refs = [
        Row(row.line, row.email, "", None, ref, None)
        for row in rows
        if row.leads
        for ref in row.leads
    ]
    if not refs:
        return []
    await _resolve_teams(conn, org_id, refs, False, errors, "leads")
    return [
        (r.line, r.email, r.email.lower(), r.team, r.team_id) for r in refs if r.team_id is not None
    ]


async def import_people(
    conn: asyncpg.Connection,
    org_id: UUID,
    data: bytes,
    *,
    dry_run: bool = False,
    create_teams: bool = True,
    deactivate_missing: bool = False,
    progress: ProgressFn | None = None,
    actor: Actor,
) -> ImportReport:
    """Check the whole file, then upsert it in one transaction (rolled back on a dry run)."""
    report, _ = await _run(
        conn,
        org_id,
        data,
        dry_run=dry_run,
        create_teams=create_teams,
        deactivate_missing=deactivate_missing,
        progress=progress,
        actor=actor,
        diff=False,
    )
    return report


async def preview_import(
    conn: asyncpg.Connection,
    org_id: UUID,
    data: bytes,
    *,
    create_teams: bool = True,
    deactivate_missing: bool = False,
    actor: Actor,
) -> tuple[ImportReport, ImportChanges]:
    """A dry run that also lists who would be created, changed, deactivated and marked as a
    leader: the same checks and statements as the real run, rolled back."""
    report, changes = await _run(
        conn,
        org_id,
        data,
        dry_run=True,
        create_teams=create_teams,
        deactivate_missing=deactivate_missing,
        progress=None,
        actor=actor,
        diff=True,
    )
    assert changes is not None
    return report, changes


async def _run(
    conn: asyncpg.Connection,
    org_id: UUID,
    data: bytes,
    *,
    dry_run: bool,
    create_teams: bool,
    deactivate_missing: bool,
    progress: ProgressFn | None,
    actor: Actor,
    diff: bool,
) -> tuple[ImportReport, ImportChanges | None]:
    if len(data) > MAX_IMPORT_BYTES:
        raise PayloadTooLarge(
            f"The file is larger than {MAX_IMPORT_BYTES // 1_048_576} MiB; split it into parts."
        )
    # Parsing is CPU work; off the event loop, other requests keep being served meanwhile.
    rows, errors = await asyncio.to_thread(parse_people_csv, data, progress)
    changes: ImportChanges | None = None
    tx = conn.transaction()
    await tx.start()
    try:
        await lock_directory(conn, org_id)
        created_teams = await _resolve_teams(conn, org_id, rows, create_teams, errors)
        leads = await _resolve_leads(conn, org_id, rows, errors)
        errors.raise_if_any()
        await conn.execute(queries.CREATE_IMPORT_TABLE)
        await conn.copy_records_to_table(
            IMPORT_TABLE,
            records=_records(rows, progress),
            columns=list(IMPORT_COLUMNS),
        )
        await conn.execute(queries.CREATE_IMPORT_LEADS_TABLE)
        if leads:
            await conn.copy_records_to_table(
                LEADS_TABLE, records=leads, columns=list(LEADS_COLUMNS)
            )
        # No ANALYZE: the planner sizes a fresh temp table from its pages, which is enough for
        # these hash joins, and sampling cost ~0.4 s at 50,000 rows.
        await conn.execute(queries.IMPORT_NO_JIT)
        counts = await conn.fetchrow(queries.IMPORT_COUNTS, org_id)
        assert counts is not None
        leaders_added = await conn.fetchval(queries.IMPORT_COUNT_NEW_LEADS, org_id)
        if diff:
            changes = await _diff(conn, org_id, deactivate_missing)
        missing = 0
        if deactivate_missing:
            missing = await conn.fetchval(queries.IMPORT_COUNT_MISSING, org_id)
            await conn.execute(queries.IMPORT_DEACTIVATE_MISSING, org_id)
        try:
            await conn.execute(queries.IMPORT_UPDATE, org_id)
            await conn.execute(queries.IMPORT_INSERT, org_id)
        except asyncpg.UniqueViolationError:
            # Only possible when a person was added through the API during the import.
            raise Conflict("The directory changed during the import; run it again.") from None
        await conn.execute(queries.IMPORT_ADD_LEADS, org_id)
        if progress:
            progress("writing", len(rows), len(rows))
        report = ImportReport(
            dry_run=dry_run,
            rows=len(rows),
            created=counts["created"],
            updated=counts["updated"],
            unchanged=counts["unchanged"],
            deactivated=counts["deactivated"] + missing,
            teams_created=created_teams,
            leaders_added=leaders_added,
        )
        if not dry_run:
            await record(conn, actor, "people.import", "org", org_id, _logged(report))
    except BaseException:
        await tx.rollback()
        raise
    if dry_run:
        await tx.rollback()
    else:
        await tx.commit()
    return report, changes


_FIELDS = (
    ("email_changed", "email"),
    ("name_changed", "display_name"),
    ("locale_changed", "locale"),
    ("team_changed", "team"),
    ("active_changed", "active"),
)


async def _diff(conn: asyncpg.Connection, org_id: UUID, deactivate_missing: bool) -> ImportChanges:
    """Who the run would touch, before it writes (the temp tables are filled)."""
    kinds: dict[str, list[ImportChange]] = {"created": [], "changed": [], "deactivated": []}
    for r in await conn.fetch(queries.IMPORT_DIFF, org_id, DIFF_LISTED * 3):
        listed = kinds[r["kind"]]
        if len(listed) < DIFF_LISTED:
            fields = [name for flag, name in _FIELDS if r[flag]]
            listed.append(ImportChange(r["line"], r["email"], r["display_name"], fields))
    if deactivate_missing:
        for r in await conn.fetch(queries.IMPORT_LIST_MISSING, org_id, DIFF_LISTED):
            if len(kinds["deactivated"]) < DIFF_LISTED:
                kinds["deactivated"].append(
                    ImportChange(0, r["email"], r["display_name"], ["active"])
                )
    leads = [
        ImportLead(r["line"], r["email"], r["team_ref"])
        for r in await conn.fetch(queries.IMPORT_NEW_LEADS, org_id, DIFF_LISTED)
    ]
    return ImportChanges(kinds["created"], kinds["changed"], kinds["deactivated"], leads)


def _logged(report: ImportReport) -> dict[str, int]:
    """The counts of an import; the people and team names stay out of the log."""
    return {
        "rows": report.rows,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "deactivated": report.deactivated,
        "teams_created": len(report.teams_created),
        "leaders_added": report.leaders_added,
    }


def _records(rows: list[Row], progress: ProgressFn | None) -> Iterator[tuple[Any, ...]]:
    for n, r in enumerate(rows, start=1):
        if progress and n % 2000 == 0:
            progress("writing", n, len(rows))
        yield (r.line, r.email, r.email.lower(), r.display_name, r.locale, r.team_id, r.active)
