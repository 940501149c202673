"""The waves, respond and delivery slices keep their shape: SQL only in queries.py, as plain
named constants; the team subtree only through team_subtree(); and everything outside a slice
uses what its package exports (the assembly also mounts its routes module)."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

SERVICE = Path(__file__).resolve().parent.parent / "service"
SLICES = ("waves", "respond", "delivery")
SQL = re.compile(
    r"\bSELECT\b[\s\S]*\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+(\s+\w+)?\s+SET\b|\bDELETE\s+FROM\b"
)


def _slice_files(name: str) -> list[Path]:
    return sorted((SERVICE / "surveys" / name).glob("*.py"))


def test_sql_lives_only_in_each_slices_queries_module() -> None:
    for name in SLICES:
        for path in _slice_files(name):
            if path.name == "queries.py":
                continue
            tokens = tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
            for tok in tokens:
                if tok.type == tokenize.STRING and SQL.search(tok.string):
                    raise AssertionError(f"{path.relative_to(SERVICE)}:{tok.start[0]} holds SQL")


def test_queries_are_plain_named_constants() -> None:
    for name in SLICES:
        path = SERVICE / "surveys" / name / "queries.py"
        tree = ast.parse(path.read_text())
        constants = 0
        for node in tree.body:
            if isinstance(node, ast.Expr | ast.ImportFrom):
                continue  # the docstring, `from __future__ import annotations`
            assert isinstance(node, ast.Assign), f"{path}:{node.lineno} is not a constant"
            (target,) = node.targets
            assert isinstance(target, ast.Name) and target.id.isupper(), f"{path}:{node.lineno}"
            # A literal: no f-string, concatenation or .format() builds SQL at run time.
            assert isinstance(node.value, ast.Constant) and isinstance(node.value.value, str), (
                f"{path}:{node.lineno} builds its SQL"
            )
            constants += 1
        assert constants, path


def test_no_recursive_queries_of_their_own() -> None:
    for name in SLICES:
        for path in _slice_files(name):
            assert "WITH RECURSIVE" not in path.read_text().upper(), path


def _imported_modules(path: Path) -> list[str]:
    """Absolute dotted names this module imports from, relative imports resolved."""
    package = ["service", *path.relative_to(SERVICE).parent.parts]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            found.append(module)
            found += [f"{module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names]
    return found


def test_other_code_uses_a_slices_package_not_its_modules() -> None:
    for path in sorted(SERVICE.rglob("*.py")):
        for name in SLICES:
            prefix = f"service.surveys.{name}"
            if path.parent == SERVICE / "surveys" / name:
                continue
            for module in _imported_modules(path):
                if not module.startswith(prefix + "."):
                    continue
                inner = module.removeprefix(prefix + ".").split(".")[0]
                # app.py mounts each slice's `routes`; every other name comes from the package.
                if path == SERVICE / "app.py" and inner == "routes":
                    continue
                assert not (SERVICE / "surveys" / name / f"{inner}.py").exists(), (
                    f"{path.relative_to(SERVICE)} reaches into {prefix}.{inner}"
                )
