"""Every code path that reads published-number tables also goes through the anonymity guard."""

from __future__ import annotations

import re
from pathlib import Path

SERVICE = Path(__file__).resolve().parent.parent / "service"
READS = re.compile(r"\b(FROM|JOIN)\s+(responses|wave_cells|wave_groups|comments)\b")
# Writers, not publishers: closing a wave moves ballots and computes the rollups.
WRITERS = {"surveys/waves.py", "analytics/rollup.py", "analytics/guard.py"}


def test_every_reader_of_answers_or_rollups_calls_the_guard() -> None:
    readers = []
    for path in sorted(SERVICE.rglob("*.py")):
        rel = path.relative_to(SERVICE).as_posix()
        text = path.read_text(encoding="utf-8")
        if rel in WRITERS or not READS.search(text):
            continue
        readers.append(rel)
        assert re.search(r"\brelease_(cell|count|participation|comments)\(", text), (
            f"{rel} reads answers or rollups without passing them through guard.release_*()"
        )
    # The check is not vacuous: the leader views are found by it.
    assert {"analytics/trends.py", "analytics/heatmap.py", "analytics/comments.py"} <= set(readers)


def test_raw_responses_are_read_only_by_the_rollup_and_the_close() -> None:
    for path in sorted(SERVICE.rglob("*.py")):
        rel = path.relative_to(SERVICE).as_posix()
        if re.search(r"\b(FROM|JOIN)\s+responses\b", path.read_text(encoding="utf-8")):
            assert rel in WRITERS, f"{rel} reads raw responses; publish from rollups instead"
