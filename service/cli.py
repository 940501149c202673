"""The `candor` command: dev, serve, worker, migrate, org/key admin, import, demo.

Errors a person can fix (a bad setting, an unreachable database, a broken migration, a busy
data folder) print one line starting with `candor:` and exit non-zero; no traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable
from typing import Any
from uuid import UUID

from .bootstrap import CliError, database, run_migrations, with_db
from .settings import Settings, SettingsError, get_settings


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> None:
    with database(settings) as dsn:
        done = asyncio.run(run_migrations(dsn))
    print(f"applied {len(done)} migration(s)" + (": " + ", ".join(done) if done else ""))


def cmd_org_create(args: argparse.Namespace, settings: Settings) -> None:
    from .orgs import create_org, org_name
    from .surveys.pulses import install_builtin_items

    try:
        org_name(args.name)
    except ValueError as exc:
        raise CliError(str(exc)) from None

    async def go(conn: Any) -> tuple[UUID, str]:
        async with conn.transaction():
            return await create_org(conn, args.name, setup=[install_builtin_items])

    org_id, key = with_db(settings, go)
    print(f"org {args.name!r} created: {org_id}")
    print(f"admin API key (shown once, store it now): {key}")


def cmd_org_floors(args: argparse.Namespace, settings: Settings) -> None:
    """Show or change an org's anonymity floors (audited as the CLI)."""
    from .audit import Actor
    from .orgs import find_org, set_floors

    async def go(conn: Any) -> tuple[str, Any, Any]:
        try:
            org_id, name = await find_org(conn, args.org)
            before, after = await set_floors(
                conn, org_id, args.k, args.comment_k, Actor.cli(org_id)
            )
        except (LookupError, ValueError) as exc:
            raise CliError(str(exc)) from None
        return f"{name!r} ({org_id})", before, after

    org, before, after = with_db(settings, go)
    if before == after:
        print(f"floors of {org}: k {after.k}, comment_k {after.comment_k} (unchanged)")
    else:
        print(
            f"floors of {org} changed: k {before.k} -> {after.k}, "
            f"comment_k {before.comment_k} -> {after.comment_k}; waves already open keep theirs"
        )


def cmd_key_create(args: argparse.Namespace, settings: Settings) -> None:
    from .admin import issue_key
    from .audit import Actor

    async def go(conn: Any) -> tuple[UUID, str]:
        org = await conn.fetchval("SELECT id FROM orgs WHERE id = $1", args.org)
        if org is None:
            raise CliError(f"no org {args.org}")
        teams = list(args.team or [])
        if args.role == "leader" and not teams:
            raise CliError("a leader key needs at least one --team")
        found = await conn.fetchval(
            "SELECT count(*) FROM teams WHERE org_id = $1 AND id = ANY($2::uuid[])", org, teams
        )
        if found != len(set(teams)):
            raise CliError("some --team ids are not teams of this org")
        async with conn.transaction():
            return await issue_key(conn, Actor.cli(org), args.name, args.role, teams)

    key_id, key = with_db(settings, go)
    print(f"{args.role} key {key_id} created (shown once, store it now): {key}")


def cmd_serve(args: argparse.Namespace, settings: Settings) -> None:
    from .serve import serve

    if not settings.database_url or not settings.redis_url:
        raise CliError(
            "`candor serve` needs DATABASE_URL and REDIS_URL; for a try-out use `candor dev`"
        )
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

    org = sub.add_parser("org", help="orgs").add_subparsers(dest="org_command", required=True)
    oc = org.add_parser("create", help="create an org and print its first admin key")
    oc.add_argument("name")
    oc.set_defaults(fn=cmd_org_create)
    of = org.add_parser("floors", help="show or change an org's anonymity floors (k, comment_k)")
    of.add_argument("org", help="the org's id or exact name")
    of.add_argument("--k", type=int, help="lowest k of any pulse (3 or more; default 5)")
    of.add_argument(
        "--comment-k", type=int, help="lowest comment_k (at least the k floor; default 10)"
    )
    of.set_defaults(fn=cmd_org_floors)

    key = sub.add_parser("key", help="API keys").add_subparsers(dest="key_command", required=True)
    kc = key.add_parser("create", help="create an API key and print it once")
    kc.add_argument("--org", type=UUID, required=True)
    kc.add_argument("--name", default="cli")
    kc.add_argument("--role", choices=["admin", "leader"], default="admin")
    kc.add_argument("--team", type=UUID, action="append", help="scope team (leader keys)")
    kc.set_defaults(fn=cmd_key_create)

    for extend in _extensions():
        extend(sub)
    return p


def _extensions() -> list[Callable[[Any], None]]:
    """Subcommands contributed by domains (import, demo, ...)."""
    from .surveys.directory import cli as directory_cli

    return [directory_cli.add_commands]


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "dev":
        # The try-out needs no configuration; it keeps its own secret in the data folder.
        os.environ.setdefault("CANDOR_ENV", "dev")
    try:
        settings = get_settings()
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
