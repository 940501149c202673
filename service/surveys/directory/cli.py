"""The directory's subcommand for the `candor` CLI: `candor import people.csv --org ID`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any
from uuid import UUID


def add_commands(sub: Any) -> None:
    """Register surveys subcommands (import, ...) on the top-level parser."""
    imp = sub.add_parser(
        "import",
        help="import people from a CSV file (upsert by email; all or nothing)",
        description=(
            "Columns: email, display_name (required), locale (en/nl), team (a path such as "
            "'Engineering/Platform', or a team id), active (true/false). See docs/admin-api.md."
        ),
    )
    imp.add_argument("file", type=Path, help="UTF-8 CSV with a header row")
    imp.add_argument("--org", type=UUID, required=True, help="the org's id")
    imp.add_argument(
        "--dry-run", action="store_true", help="report what would change; write nothing"
    )
    imp.add_argument(
        "--deactivate-missing",
        action="store_true",
        help="deactivate active people of the org who are not in the file",
    )
    imp.add_argument(
        "--no-create-teams",
        dest="create_teams",
        action="store_false",
        help="treat team paths that do not exist yet as errors instead of creating them",
    )
    imp.set_defaults(fn=cmd_import)


def cmd_import(args: argparse.Namespace, settings: Any) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ...audit import Actor
    from ...bootstrap import CliError, with_db
    from ...errors import CandorError
    from .importer import MAX_IMPORT_BYTES, import_people, org_exists
    from .models import ImportReport

    path: Path = args.file
    try:
        if path.stat().st_size > MAX_IMPORT_BYTES:
            raise CliError(f"{path} is larger than {MAX_IMPORT_BYTES // 1_048_576} MiB; split it")
        data = path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None

    err = Console(stderr=True)
    progress = Progress(
        TextColumn("{task.description:>9}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    tasks: dict[str, Any] = {}

    def report(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = progress.add_task(stage, total=total)
        progress.update(tasks[stage], completed=done, total=total)

    async def go(conn: Any) -> ImportReport:
        if not await org_exists(conn, args.org):
            raise CliError(f"no org {args.org}")
        with progress:
            return await import_people(
                conn,
                args.org,
                data,
                dry_run=args.dry_run,
                create_teams=args.create_teams,
                deactivate_missing=args.deactivate_missing,
                progress=report,
                actor=Actor.cli(args.org),
            )

    try:
        result: ImportReport = with_db(settings, go)
    except CandorError as exc:
        for e in exc.errors or []:
            where = f"line {e['line']}" + (f", {e['column']}" if e.get("column") else "")
            print(f"{path}:{where}: {e['reason']}", file=sys.stderr)
        raise CliError(exc.detail) from None

    verb = "would be" if result.dry_run else "were"
    print(
        f"{result.rows} rows: {result.created} created, {result.updated} updated, "
        f"{result.unchanged} unchanged, {result.deactivated} deactivated"
        + (f"; {len(result.teams_created)} team(s) {verb} created" if result.teams_created else "")
        + (f"; {result.leaders_added} leader role(s) {verb} added" if result.leaders_added else "")
    )
    for team in result.teams_created:
        print(f"  new team: {team}")
    if result.dry_run:
        print("dry run: nothing was written")
