"""SQL lives in one place per slice: `queries.py` modules of named constants, nowhere else.

Every string constant in service/ that reads like a SQL statement must sit in a `queries.py`
(or be one of the few named exceptions below), and no SQL is assembled at run time with an
f-string. The recursive subtree query exists once, as a SQL function (migration 0007).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICE = ROOT / "service"
STATEMENT = re.compile(
    r"^\s*(select\s|insert\s+into|update\s+\w+\s+set|delete\s+from|with\s+(recursive\s+)?\w+\s+as)",
    re.I,
)
# The migration runner's own bookkeeping, and psql talking to the embedded server.
EXCEPTIONS = {"service/migrate.py", "service/embedded.py"}
PENDING = (
    "service/surveys/directory/",
    "service/surveys/pulses/",
    "service/cli.py",
)  # being restructured; this only shrinks


def _where_sql_is() -> tuple[list[str], list[str]]:
    outside, fstrings = [], []
    for path in sorted(SERVICE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if path.name == "queries.py" or rel in EXCEPTIONS or rel.startswith(PENDING):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if STATEMENT.match(node.value):
                    outside.append(f"{rel}:{node.lineno}")
            elif isinstance(node, ast.JoinedStr):
                text = "".join(
                    v.value
                    for v in node.values
                    if isinstance(v, ast.Constant) and isinstance(v.value, str)
                )
                if STATEMENT.match(text):
                    fstrings.append(f"{rel}:{node.lineno}")
    return outside, fstrings


def test_no_sql_outside_the_queries_modules() -> None:
    outside, fstrings = _where_sql_is()
    assert outside == [], "move these statements into the slice's queries.py"
    assert fstrings == [], "SQL is never assembled with an f-string"


def test_queries_modules_hold_only_named_constants() -> None:
    for path in sorted(SERVICE.rglob("queries.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                continue  # the module docstring
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                continue
            assert isinstance(node, ast.Assign), f"{path}: only NAME = '''SQL''' here"
            (target,) = node.targets
            assert isinstance(target, ast.Name) and target.id.isupper(), f"{path}:{node.lineno}"
            assert isinstance(node.value, ast.Constant), f"{path}:{node.lineno}: a plain string"


def test_the_subtree_query_is_written_once() -> None:
    found = [
        p.relative_to(ROOT).as_posix()
        for p in [*SERVICE.rglob("*.py"), *(ROOT / "sql").rglob("*.sql")]
        if "with recursive" in p.read_text(encoding="utf-8").lower()
        and not p.relative_to(ROOT).as_posix().startswith(PENDING)
    ]
    assert found == ["sql/migrations/0007_team_subtree.sql"]
