"""Every code path that reads published-number tables also goes through the anonymity guard."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

SERVICE = Path(__file__).resolve().parent.parent / "service"
READS = re.compile(r"\b(FROM|JOIN)\s+(responses|wave_cells|wave_groups|comments)\b")
RAW_READS = re.compile(r"\b(FROM|JOIN)\s+responses\b")
# Writers, not publishers: closing a wave moves ballots and computes the rollups.
WRITERS = {"surveys/waves.py", "analytics/rollup.py", "analytics/guard.py"}
# A slice's queries.py: module-level constants holding SQL.
CONSTANT = re.compile(r'^([A-Z][A-Z0-9_]*)\s*=\s*"""(.*?)"""', re.S | re.M)


def _readers(reads: re.Pattern[str]) -> Iterator[tuple[str, str]]:
    """(path under service/, text) of every module that runs SQL matching `reads`.

    SQL kept in a slice's queries.py counts against the modules of the slice that run the
    matching constants (`queries.NAME`), and each such constant must be run somewhere.
    """
    for path in sorted(SERVICE.rglob("*.py")):
        rel = path.relative_to(SERVICE).as_posix()
        text = path.read_text(encoding="utf-8")
        if path.name != "queries.py":
            if reads.search(text):
                yield rel, text
            continue
        names = [m.group(1) for m in CONSTANT.finditer(text) if reads.search(m.group(2))]
        for name in names:
            used = re.compile(rf"\bqueries\.{name}\b")
            users = [p for p in sorted(path.parent.glob("*.py")) if used.search(p.read_text())]
            assert users, f"{rel}: {name} is never run"
            for user in users:
                yield user.relative_to(SERVICE).as_posix(), user.read_text(encoding="utf-8")


def test_every_reader_of_answers_or_rollups_calls_the_guard() -> None:
    readers = []
    for rel, text in _readers(READS):
        if rel in WRITERS:
            continue
        readers.append(rel)
        assert re.search(r"\brelease_(cell|count|participation|comments)\(", text), (
            f"{rel} reads answers or rollups without passing them through guard.release_*()"
        )
    # The check is not vacuous: the leader views are found by it, also through a queries.py.
    assert {"analytics/trends.py", "analytics/heatmap.py", "analytics/comments.py"} <= set(readers)
    assert "surveys/delivery/status.py" in readers


def test_raw_responses_are_read_only_by_the_rollup_and_the_close() -> None:
    for rel, _ in _readers(RAW_READS):
        assert rel in WRITERS, f"{rel} reads raw responses; publish from rollups instead"
