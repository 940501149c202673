"""Reading a people CSV: decode, check the header, check every row, report every problem.

Pure Python, no database: `parse_people_csv(data)` returns the good rows and the problems found
(line number, column, reason), or raises at once when the file as a whole is unreadable
(invalid UTF-8, no header, wrong columns, broken quoting, too many rows). Emails, display
names and team names follow the same rules as the API's (service/text.py), so a row the API
would refuse is reported here with its line number. Team names and ids are resolved later,
against the database, by importer.py.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from ...errors import PayloadTooLarge, UnprocessableEntity
from ...text import has_control_characters, sendable_email

MAX_ROWS = 100_000
MAX_ERRORS_LISTED = 1000
COLUMNS = ("email", "display_name", "locale", "team", "active", "leads")
REQUIRED = ("email", "display_name")
LOCALES = ("en", "nl")
# The teams one `leads` cell names are separated by "|": ";" would be read as a field separator
# by the spreadsheets that save CSV with semicolons (the Dutch and German defaults).
LEADS_SEPARATOR = "|"
MAX_LEADS = 50
TEAM_ID = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}

# (stage, done, total) — the CLI draws a progress bar from it.
ProgressFn = Callable[[str, int, int], None]


@dataclass(slots=True)
class Row:
    line: int
    email: str
    display_name: str
    locale: str | None
    team: str | None
    active: bool | None
    team_id: UUID | None = None
    # the team paths (or ids) this person leads, from the optional `leads` column
    leads: tuple[str, ...] = ()


class RowErrors:
    """Problems found so far; all are counted, the first MAX_ERRORS_LISTED are kept."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.count = 0

    def add(self, line: int, column: str | None, reason: str) -> None:
        self.count += 1
        if len(self.items) < MAX_ERRORS_LISTED:
            self.items.append({"line": line, "column": column, "reason": reason})

    def raise_if_any(self) -> None:
        if self.count:
            shown = (
                ""
                if self.count <= MAX_ERRORS_LISTED
                else f" (the first {MAX_ERRORS_LISTED} are listed)"
            )
            raise UnprocessableEntity(
                f"The file has {self.count} problem(s){shown}; nothing was imported.",
                errors=self.items,
            )


def _reject(line: int, column: str | None, reason: str) -> UnprocessableEntity:
    return UnprocessableEntity(
        f"{reason} Nothing was imported.",
        errors=[{"line": line, "column": column, "reason": reason}],
    )


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _reject(
            line,
            None,
            f"The file is not valid UTF-8 (bad byte at line {line}); save it as UTF-8 CSV.",
        ) from None
    if not text.strip():
        raise _reject(1, None, "The file is empty.")
    if "\x00" in text:
        raise _reject(
            text.count("\n", 0, text.index("\x00")) + 1,
            None,
            "The file contains NUL bytes; it is not a CSV text file.",
        )
    return text


def _header(fields: list[str]) -> list[str]:
    names = [f.strip().lower() for f in fields]
    problems = []
    unknown = [n for n in names if n not in COLUMNS]
    if unknown:
        problems.append(f"unknown column(s) {', '.join(repr(n) for n in unknown)}")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        problems.append(f"repeated column(s) {', '.join(dupes)}")
    missing = [n for n in REQUIRED if n not in names]
    if missing:
        problems.append(f"missing required column(s) {', '.join(missing)}")
    if problems:
        raise _reject(
            1, None, "Wrong columns: " + "; ".join(problems) + f". Expected: {', '.join(COLUMNS)}."
        )
    return names


def parse_people_csv(
    data: bytes, progress: ProgressFn | None = None
) -> tuple[list[Row], RowErrors]:
    """Read and check every row; return the rows and the problems found (nothing raised per row)."""
    text = _decode(data)
    total_lines = text.count("\n") + 1
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    errors = RowErrors()
    rows: list[Row] = []
    seen: dict[str, int] = {}
    try:
        header = _header(next(reader))
        start = reader.line_num + 1
        for fields in reader:
            line, start = start, reader.line_num + 1
            if not any(f.strip() for f in fields):
                continue  # blank lines and spreadsheet filler like ",,,,"
            if len(rows) >= MAX_ROWS:
                raise PayloadTooLarge(
                    f"The file has more than {MAX_ROWS} people; split it into parts."
                )
            if progress and len(rows) % 2000 == 0:
                progress("checking", line, total_lines)
            if len(fields) != len(header):
                errors.add(line, None, f"Expected {len(header)} fields, found {len(fields)}.")
                continue
            cells = dict(zip(header, fields, strict=True))
            key = cells["email"].strip().lower()
            if key and key in seen:
                errors.add(
                    line, "email", f"Duplicate email {key[:80]!r}: already on line {seen[key]}."
                )
                continue
            seen.setdefault(key, line)
            row = _row(line, cells, errors)
            if row is not None:
                rows.append(row)
    except csv.Error as exc:
        raise _reject(reader.line_num, None, f"The file is not valid CSV: {exc}.") from None
    except StopIteration:
        raise _reject(1, None, "The file is empty.") from None
    if not rows and not errors.count:
        raise _reject(2, None, "The file has a header but no people.")
    if progress:
        progress("checking", total_lines, total_lines)
    return rows, errors


def _no_controls(what: str) -> str:
    return (
        f"{what} may not contain control characters (line breaks, tabs or other invisible codes)."
    )


def _row(line: int, cells: dict[str, str], errors: RowErrors) -> Row | None:
    before = errors.count
    email = cells["email"].strip()
    if not sendable_email(email):
        errors.add(line, "email", f"Not an email address the mailer can send to: {email[:80]!r}.")
    name = cells["display_name"].strip()
    if not 1 <= len(name) <= 200:
        errors.add(line, "display_name", "A display name has 1 to 200 characters.")
    elif has_control_characters(name):
        errors.add(line, "display_name", _no_controls("A display name"))
    locale = cells.get("locale", "").strip().lower() or None
    if locale is not None and locale not in LOCALES:
        errors.add(line, "locale", f"Unknown locale {locale[:20]!r}; use en or nl.")
    team = cells.get("team", "").strip() or None
    if team is not None:
        _check_path(line, "team", team, errors)
    leads = tuple(p.strip() for p in cells.get("leads", "").split(LEADS_SEPARATOR) if p.strip())
    if len(leads) > MAX_LEADS:
        errors.add(line, "leads", f"A person can lead at most {MAX_LEADS} teams in one row.")
    for path in leads:
        _check_path(line, "leads", path, errors)
    raw_active = cells.get("active", "").strip().lower()
    active: bool | None = None
    if raw_active in _TRUE:
        active = True
    elif raw_active in _FALSE:
        active = False
    elif raw_active:
        errors.add(line, "active", f"Use true or false for active, not {raw_active[:20]!r}.")
    if errors.count > before:
        return None
    return Row(line, email, name, locale, team, active, leads=tuple(dict.fromkeys(leads)))


def _check_path(line: int, column: str, team: str, errors: RowErrors) -> None:
    """A team id, or a path of names of 1-200 characters separated by '/'."""
    if TEAM_ID.match(team):
        return
    parts = [p.strip() for p in team.split("/")]
    if any(not p for p in parts) or any(len(p) > 200 for p in parts):
        errors.add(
            line,
            column,
            f"Bad team path {team[:80]!r}: names of 1-200 characters, separated by '/'.",
        )
    elif has_control_characters(team):
        errors.add(line, column, _no_controls("A team name"))
