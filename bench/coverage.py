"""Who gets a voice: the share of invited people whose own group is published, before and after
the reporting plan, and what a linear attacker can work out of either (must be nothing).

Over generated org charts (the same shape as the differencing attacker's: up to 36 teams,
mostly one tree, some second roots, teams of 0-5 or 6-45 people, k from 3 to 7, about three in
four answering) and over the demo org's eight waves, each wave is planned twice:

* before: today's rules without pooling (`wave_tree` + `plan_wave`): a small team is hidden,
  and a sibling is hidden as its complement;
* after: the reporting plan (`plan_reporting` + `reporting_tree` + `plan_wave`): a small team is
  reported together with another group.

coverage = invited people whose (team, own) key is published / all invited people.
exposed_cells = groups of the org chart with 0 < respondents < k (each team's own people, each
subtree, and every hidden key) whose sum the published sums determine, found by rank tests as
in tests/test_differencing_attacker.py. Pure computation, no database.

    uv run python bench/coverage.py            # 200 charts + the demo history
    uv run python bench/coverage.py --quick    # 40 charts
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from uuid import UUID

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.demo import DEMO_TEAMS, WAVES  # noqa: E402
from service.guard import plan_wave, wave_tree  # noqa: E402
from service.guard.plan import PlanTeam, plan_reporting, reporting_tree  # noqa: E402

Chart = tuple[list[UUID | None], list[UUID], list[str], dict[UUID, int], dict[UUID, int], int]


def generated(rng: random.Random) -> Chart:
    size = rng.randint(2, 36)
    ids = [UUID(int=i + 1) for i in range(size)]
    parents: list[UUID | None] = [None]
    for i in range(1, size):
        root = rng.randint(0, 15) == 0
        parents.append(None if root else ids[rng.randint(max(0, i - 6), i - 1)])
    invited = {t: rng.randint(0, 5) if rng.random() < 0.5 else rng.randint(6, 45) for t in ids}
    answered = {t: sum(rng.random() < 0.75 for _ in range(n)) for t, n in invited.items()}
    return parents, ids, [f"T{i}" for i in range(size)], invited, answered, rng.randint(3, 7)


def demo_waves() -> list[Chart]:
    """The demo org's teams and, per wave, how many answered (as service/demo.py seeds them)."""
    names = list(DEMO_TEAMS)
    ids = [UUID(int=i + 1) for i in range(len(names))]
    by_name = dict(zip(names, ids, strict=True))
    parents = [by_name[p] if p else None for p, *_ in DEMO_TEAMS.values()]
    invited = {by_name[n]: size for n, (_, size, _, _) in DEMO_TEAMS.items()}
    rng = random.Random(20260101)
    charts = []
    for _ in range(WAVES):
        answered = {
            by_name[n]: max(1, min(size, round(size * rng.uniform(0.7, 0.95)))) if size else 0
            for n, (_, size, _, _) in DEMO_TEAMS.items()
        }
        charts.append((parents, ids, names, invited, answered, 5))
    return charts


def _below(ids: list[UUID], parents: list[UUID | None]) -> dict[UUID, set[UUID]]:
    kids: dict[UUID, list[UUID]] = {t: [] for t in ids}
    for t, p in zip(ids, parents, strict=True):
        if p is not None:
            kids[p].append(t)
    out: dict[UUID, set[UUID]] = {}
    for t in ids:
        seen, stack = set(), [t]
        while stack:
            node = stack.pop()
            seen.add(node)
            stack.extend(kids[node])
        out[t] = seen
    return out


def _determined(published: list[set[UUID]], target: set[UUID], unknown: list[UUID]) -> bool:
    col = {t: i for i, t in enumerate(unknown)}
    vec = np.zeros(len(unknown))
    for t in target:
        if t in col:
            vec[col[t]] = 1
    if not vec.any() or not published:
        return False
    a = np.vstack([np.array([1.0 if t in s else 0.0 for t in unknown]) for s in published])
    return bool(np.linalg.matrix_rank(np.vstack([a, vec])) == np.linalg.matrix_rank(a))


def evaluate(chart: Chart) -> dict[str, tuple[int, int, int]]:
    """{rule: (invited people whose own key is published, invited people, exposed groups)}."""
    parents, ids, names, invited, answered, k = chart
    below = _below(ids, parents)
    truth = [below[t] for t in ids] + [{t} for t in ids]
    unknown = [t for t in ids if answered[t] > 0]
    total = sum(invited.values())
    out: dict[str, tuple[int, int, int]] = {}

    # before: every key is the team's own people or its subtree, hidden by the guard alone
    atoms = {(t, "team"): {t} for t in ids} | {(t, "subtree"): below[t] for t in ids}
    n = {g: sum(answered[a] for a in s) for g, s in atoms.items()}
    tree = wave_tree(list(zip(ids, parents, strict=True)))
    hidden = plan_wave(tree, n, {}, k=k, comment_k=k).groups
    out["before"] = _score(atoms, n, hidden, invited, total, truth, answered, unknown, k, ids)

    # after: the reporting plan decides which people each key reports
    plan = plan_reporting(
        [PlanTeam(t, p, name, invited[t]) for t, p, name in zip(ids, parents, names, strict=True)],
        k,
    )
    cells, unreportable = reporting_tree(plan)
    atoms = {
        (key.team_id, key.scope): set(key.atoms) if key.atoms is not None else below[key.team_id]
        for key in plan.keys
    }
    n = {g: sum(answered[a] for a in s) for g, s in atoms.items()}
    hidden = plan_wave(cells, n, {}, k=k, comment_k=k, unreportable=unreportable).groups
    out["after"] = _score(atoms, n, hidden, invited, total, truth, answered, unknown, k, ids)
    return out


def _score(atoms, n, hidden, invited, total, truth, answered, unknown, k, ids):  # type: ignore[no-untyped-def]
    voiced = sum(invited[t] for t in ids if (t, "team") not in hidden and invited[t] > 0)
    published = [s for g, s in atoms.items() if g not in hidden and n[g] > 0]
    targets = truth + [atoms[g] for g in hidden]
    exposed = 0
    for s in targets:
        count = sum(answered[a] for a in s)
        if 0 < count < k and _determined(published, s, unknown):
            exposed += 1
    return voiced, total, exposed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="40 charts instead of 200")
    args = parser.parse_args()
    rng = random.Random(20261202)
    t0 = time.perf_counter()
    charts = [generated(rng) for _ in range(40 if args.quick else 200)]
    sums = {"before": [0, 0, 0], "after": [0, 0, 0]}
    for chart in charts:
        for rule, (voiced, total, exposed) in evaluate(chart).items():
            sums[rule][0] += voiced
            sums[rule][1] += total
            sums[rule][2] += exposed
    demo = {"before": [0, 0, 0], "after": [0, 0, 0]}
    for chart in demo_waves():
        for rule, (voiced, total, exposed) in evaluate(chart).items():
            demo[rule][0] += voiced
            demo[rule][1] += total
            demo[rule][2] += exposed
    result = {
        "charts": len(charts),
        "coverage_before": round(sums["before"][0] / sums["before"][1], 4),
        "coverage_after": round(sums["after"][0] / sums["after"][1], 4),
        "demo_coverage_before": round(demo["before"][0] / demo["before"][1], 4),
        "demo_coverage_after": round(demo["after"][0] / demo["after"][1], 4),
        "exposed_cells_before": sums["before"][2] + demo["before"][2],
        "exposed_cells": sums["after"][2] + demo["after"][2],
        "seconds": round(time.perf_counter() - t0, 1),
    }
    print(
        f"{len(charts)} charts: coverage {result['coverage_before']:.1%} -> "
        f"{result['coverage_after']:.1%}; demo {result['demo_coverage_before']:.1%} -> "
        f"{result['demo_coverage_after']:.1%}; exposed {result['exposed_cells']}",
        file=sys.stderr,
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
