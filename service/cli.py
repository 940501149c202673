"""The `candor` command: dev, serve, worker, migrate, org/key admin, import.

Errors a person can fix (a bad setting, an unreachable database, a broken migration, a busy
data folder) print one line starting with `candor:` and exit non-zero; no traceback.

Which database a command uses: DATABASE_URL when it is set. Otherwise the commands that need
only the database (migrate, org, key, import) use the `candor dev` running on the data folder
(CANDOR_DATA_DIR, default .candor) and say so in one line on stderr. Otherwise, in production
(the default CANDOR_ENV) a missing DATABASE_URL is an error; only with CANDOR_ENV=dev or test
does a command start the embedded server for itself.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from . import devrecord
from .bootstrap import CliError, check_reachable, database, run_migrations
from .settings import Settings, SettingsError, get_settings, load_settings

# Commands that need only the database: no SECRET_KEY (they sign nothing), no Redis, and they
# may use a running `candor dev`. Every other command, including any added later, needs the
# full production configuration.
DATABASE_ONLY = frozenset({"migrate", "org", "key", "import"})


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> None:
    with database(settings) as dsn:
        done = asyncio.run(run_migrations(dsn))
    print(f"applied {len(done)} migration(s)" + (": " + ", ".join(done) if done else ""))


def cmd_serve(args: argparse.Namespace, settings: Settings) -> None:
    from .serve import serve

    if not settings.database_url or not settings.redis_url:
        raise CliError(
            "`candor serve` needs DATABASE_URL and REDIS_URL; for a try-out use `candor dev`"
        )
    # One clear line now, rather than a granian worker's traceback per failed start.
    check_reachable(settings)
    serve(host=args.host, port=args.port, workers=args.workers)


def cmd_worker(args: argparse.Namespace, settings: Settings) -> None:
    from .worker import health_check, run_worker

    if args.check:
        sys.exit(health_check(settings))
    if not settings.database_url or not settings.redis_url:
        raise CliError(
            "`candor worker` needs DATABASE_URL and REDIS_URL; for a try-out use `candor dev`"
        )
    run_worker(settings)


def cmd_dev(args: argparse.Namespace, settings: Settings) -> None:
    from .dev import run_dev

    run_dev(settings, host=args.host, port=args.port, with_worker=not args.no_worker)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="candor", description="Anonymous pulse surveys.")
    p.add_argument("--version", action="version", version=f"candor {_version()}")
    sub = p.add_subparsers(dest="command", required=True)

    dev = sub.add_parser("dev", help="try it out: embedded services, demo data, API and worker")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8000)
    dev.add_argument("--no-worker", action="store_true", help="do not start the arq worker")
    dev.set_defaults(fn=cmd_dev)

    serve = sub.add_parser("serve", help="serve the API with granian (production)")
    serve.add_argument("--host", default="0.0.0.0")  # noqa: S104 - a server's job is to listen
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(fn=cmd_serve)

    worker = sub.add_parser("worker", help="run the background worker")
    worker.add_argument(
        "--check", action="store_true", help="exit 0 if this host's worker is healthy"
    )
    worker.set_defaults(fn=cmd_worker)

    mig = sub.add_parser("migrate", help="apply pending database migrations")
    mig.set_defaults(fn=cmd_migrate)

    from . import admincli

    admincli.add_commands(sub)
    for extend in _extensions():
        extend(sub)
    return p


def _extensions() -> list[Callable[[Any], None]]:
    """Subcommands contributed by domains (import, demo, ...)."""
    from .surveys.directory import cli as directory_cli

    return [directory_cli.add_commands]


def _version() -> str:
    try:
        return version("candor")
    except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
        return "unknown"


def use_running_dev() -> None:
    """With no DATABASE_URL, point this process at the `candor dev` running on the data folder.

    It connects to that instance's PostgreSQL; it never starts a second server on the folder.
    """
    if os.environ.get("DATABASE_URL", "").strip():
        return
    folder = devrecord.data_folder()
    dev = devrecord.find_running(folder)
    if dev is None:
        return
    os.environ["DATABASE_URL"] = dev.database_url
    print(
        f"candor: no DATABASE_URL; using the `candor dev` running on {folder} "
        f"(pid {dev.pid}, {dev.api_url})",
        file=sys.stderr,
    )


def load_for(args: argparse.Namespace) -> Settings:
    """The settings `args.command` needs, and only those."""
    if args.command == "dev":
        # The try-out needs no configuration; it keeps its own secret in the data folder.
        os.environ.setdefault("CANDOR_ENV", "dev")
    if args.command in DATABASE_ONLY:
        use_running_dev()
        return load_settings(require_secret=False)
    if args.command == "worker" and args.check:
        return load_settings(require_secret=False)  # the probe only reads Redis
    return get_settings()


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_for(args)
        args.fn(args, settings)
    except SettingsError as exc:
        print(f"candor: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
    except CliError as exc:
        print(f"candor: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    # Run the imported module's main, so `python -m service.cli` and modules that import
    # `service.cli` share one CliError class.
    from service.cli import main as _main

    _main()
