"""CSV files people open in a spreadsheet: UTF-8, CRLF, and text that cannot run as a formula.

Shared by every CSV the service writes (the analytics exports, the audit log), so the formula
guard is written once.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

# Where a spreadsheet may start a new cell inside our text: at its start, and after any
# character some reader splits on (comma, Dutch/German Excel's semicolon, tab, a line break).
# A formula trigger there, or a quote that opens a quoted cell there, gets a leading `'`.
_FORMULA_START = re.compile(r"(?:^|(?<=[,;\t\r\n]))(?=[=+\-@\t\r])|(?<=[,;\t\r\n])(?=\")")


def safe_text(value: object) -> str:
    """Spreadsheet-safe text: no cell a reader cuts out of it, with whichever separator, starts
    with = + - @ (a formula to Excel and friends), a tab or a carriage return."""
    if value is None:
        return ""
    return _FORMULA_START.sub("'", str(value))


def render_csv(header: list[str], rows: Iterable[list[object]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        # Numbers are written as they are; only text goes through the formula guard.
        writer.writerow(
            [
                v if isinstance(v, (int, float)) and not isinstance(v, bool) else safe_text(v)
                for v in row
            ]
        )
    return buf.getvalue().encode("utf-8")
