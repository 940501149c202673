"""The layer contracts cover the whole service, and no module reaches into another's privates.

`make lint` runs import-linter over the contracts in pyproject.toml. These tests keep the
contracts honest as the code grows: every top-level module is either core, a slice or the
assembly, and the guard's forbidden list names every other part of the service.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICE = ROOT / "service"
ASSEMBLY = {
    "service.app",
    "service.worker",
    "service.cli",
    "service.dev",
    "service.demo",
    "service.closing",
    "service.admincli",
}
SLICES = {"service.surveys", "service.analytics", "service.console"}


def _contracts() -> dict[str, dict[str, list[str]]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {c["name"]: c for c in config["contracts"]}


def _top_level() -> set[str]:
    names = {f"service.{p.stem}" for p in SERVICE.glob("*.py") if p.stem != "__init__"}
    names |= {f"service.{p.name}" for p in SERVICE.iterdir() if (p / "__init__.py").exists()}
    return names


def test_every_top_level_module_is_core_a_slice_or_the_assembly() -> None:
    (core,) = [c for n, c in _contracts().items() if n.startswith("The core imports")]
    assert _top_level() == set(core["source_modules"]) | SLICES | ASSEMBLY


def test_the_guard_contract_forbids_every_other_part_of_the_service() -> None:
    (guard,) = [c for n, c in _contracts().items() if n.startswith("The guard imports")]
    assert set(guard["forbidden_modules"]) == _top_level() - {"service.guard"}


def test_no_module_imports_another_modules_private_names() -> None:
    offenders = []
    for path in sorted(SERVICE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                private = [a.name for a in node.names if a.name.startswith("_")]
                if private and not all(p.startswith("__") for p in private):
                    offenders.append(f"{path.relative_to(ROOT)}: {node.module} {private}")
    assert offenders == []
