"""Fuzz the whole API with schemathesis against the app served for real (granian).

    uv run python bench/fuzz.py [--quick] [--seed N]

Brings its own services the way the tests do: a scratch database on TEST_DATABASE_URL's server
(else an embedded PostgreSQL), TEST_REDIS_URL (else an embedded Redis). Seeds two orgs
(tests/fuzz_world.py), runs every operation of /schema/openapi.json under each kind of caller
(tests/fuzz_run.py), prints each distinct finding, and last one JSON line: cases run, failures,
per-check pass/fail counts. Exit status 1 when anything failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.embedded import EmbeddedPostgres, EmbeddedRedis  # noqa: E402
from tests.fuzzer import FULL, QUICK, run_fuzz  # noqa: E402
from tests.servers import scratch_database, serve_app  # noqa: E402
from tests.worlds import fuzz_server_env, seed_fuzz_world  # noqa: E402


@contextlib.contextmanager
def services(tmp: Path) -> Iterator[tuple[str, str]]:
    """(server DSN, Redis URL): the machine's when named in the environment, else embedded."""
    with contextlib.ExitStack() as stack:
        dsn = os.environ.get("TEST_DATABASE_URL")
        if not dsn:
            pg = EmbeddedPostgres(Path(f"/tmp/candor-fuzz-{os.getuid()}"))
            dsn = pg.start("postgres")
            stack.callback(pg.stop)
        redis = os.environ.get("TEST_REDIS_URL")
        if not redis:
            er = EmbeddedRedis(tmp / "redis")
            redis = er.start()
            stack.callback(er.stop)
        yield dsn, redis


async def _seeded(dsn: str, stack: contextlib.AsyncExitStack) -> tuple[str, object]:
    db = await stack.enter_async_context(scratch_database(dsn))
    return db, await seed_fuzz_world(db)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CI size (about a minute)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    size = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory(prefix="candor-fuzz-") as tmpdir:
        tmp = Path(tmpdir)
        with services(tmp) as (server_dsn, redis_url):
            loop = asyncio.new_event_loop()
            stack = contextlib.AsyncExitStack()
            try:
                db, world = loop.run_until_complete(_seeded(server_dsn, stack))
                env = fuzz_server_env(db, redis_url, tmp / "data")
                with serve_app(env, tmp / "server.log") as server:
                    report = run_fuzz(server, world, size, seed=args.seed)  # type: ignore[arg-type]
                    if report.findings:
                        print(report.describe_findings(server), file=sys.stderr)
            finally:
                loop.run_until_complete(stack.aclose())
                loop.close()
    summary = {"mode": "quick" if args.quick else "full", "seed": args.seed, **report.summary()}
    print(json.dumps(summary))
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
