"""CSV files people open in a spreadsheet: UTF-8, CRLF, and text that cannot run as a formula.

Shared by every CSV the service writes (the analytics exports, the audit log), so the formula
guard is written once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable


def safe_text(value: object) -> str:
    """Spreadsheet-safe text: a leading = + - @ would be run as a formula by Excel and friends."""
    if value is None:
        return ""
    text = str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


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
