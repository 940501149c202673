"""`candor org ...` and `candor key ...`: orgs and their API keys, straight on the database.

These commands need only the database (never Redis; SECRET_KEY only to sign the console
sign-in link that `org create --admin-email` and `org admin` print). `--org` takes an org's id or
its exact name; `--team` takes a team path ("Engineering/Platform", read exactly as the people
import reads it) or a team id. Keys are printed once, at creation; listings show a key's prefix,
never the key. Anything that matches nothing, or more than one thing, is a one-line error.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec

from . import queries
from .bootstrap import CliError, with_db

if TYPE_CHECKING:
    import asyncpg

# `cnd_` and four more characters: shorter would match half the keys of a large org.
_MIN_PREFIX = 8


def add_commands(sub: Any) -> None:
    org = sub.add_parser("org", help="orgs").add_subparsers(dest="org_command", required=True)
    oc = org.add_parser("create", help="create an org and print its first admin key once")
    oc.add_argument("name")
    oc.add_argument(
        "--admin-email",
        metavar="EMAIL",
        help="also create this person as the org's first admin and print a one-time console "
        "sign-in link for them (valid 7 days; needs SECRET_KEY, or a running `candor dev`)",
    )
    oc.add_argument("--admin-name", metavar="NAME", help="the first admin's display name")
    oc.set_defaults(fn=cmd_org_create)
    oa = org.add_parser(
        "admin", help="print a new one-time console sign-in link for an admin person of an org"
    )
    oa.add_argument("org", help="the org's id or exact name")
    oa.add_argument("email", help="the admin person's email address")
    oa.set_defaults(fn=cmd_org_admin)
    ol = org.add_parser("list", help="list orgs with their numbers of people, teams and keys")
    ol.add_argument("--json", action="store_true", help="one JSON array instead of a table")
    ol.set_defaults(fn=cmd_org_list)
    of = org.add_parser("floors", help="show or change an org's anonymity floors (k, comment_k)")
    of.add_argument("org", help="the org's id or exact name")
    of.add_argument("--k", type=int, help="lowest k of any pulse (3 or more; default 5)")
    of.add_argument(
        "--comment-k", type=int, help="lowest comment_k (at least the k floor; default 10)"
    )
    of.set_defaults(fn=cmd_org_floors)

    key = sub.add_parser("key", help="API keys").add_subparsers(dest="key_command", required=True)
    org_help = "the org's id or its exact name"
    kc = key.add_parser("create", help="create an API key and print it once")
    kc.add_argument("--org", required=True, help=org_help)
    kc.add_argument("--name", default="cli")
    kc.add_argument("--role", choices=["admin", "leader"], default="admin")
    kc.add_argument(
        "--team",
        action="append",
        help="a leader key's scope: a team path such as Engineering/Platform, or a team id "
        "(repeat for several teams)",
    )
    kc.set_defaults(fn=cmd_key_create)
    kl = key.add_parser("list", help="list an org's keys (prefixes only, never the keys)")
    kl.add_argument("--org", required=True, help=org_help)
    kl.add_argument("--json", action="store_true", help="one JSON array instead of a table")
    kl.set_defaults(fn=cmd_key_list)
    kr = key.add_parser("revoke", help="revoke a key: it stops working at once")
    kr.add_argument("--org", required=True, help=org_help)
    kr.add_argument("key", metavar="KEY_ID_OR_PREFIX", help="the key's id, its prefix, or the key")
    kr.set_defaults(fn=cmd_key_revoke)


async def resolve_org(conn: asyncpg.Connection, ref: str) -> asyncpg.Record:
    """The org with id `ref`, or else the one org named exactly `ref`."""
    try:
        org_id = UUID(ref)
    except ValueError:
        pass
    else:
        row = await conn.fetchrow(queries.CLI_ORG_BY_ID, org_id)
        if row is None:
            raise CliError(f"no org with id {org_id} (see `candor org list`)")
        return row
    found = await conn.fetch(queries.CLI_ORGS_BY_NAME, ref)
    if not found:
        raise CliError(f"no org named {ref!r} (see `candor org list`)")
    if len(found) > 1:
        ids = ", ".join(str(o["id"]) for o in found)
        raise CliError(f"{len(found)} orgs are named {ref!r}; pass --org ID (one of {ids})")
    return found[0]


def cmd_org_create(args: argparse.Namespace, settings: Any) -> None:
    from .orgs import create_org, org_name
    from .surveys.pulses import install_builtin_items

    try:
        org_name(args.name)  # 1 to 200 visible characters, no control characters
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if args.admin_name and not args.admin_email:
        raise CliError("--admin-name goes with --admin-email")
    signing = _link_signing(settings) if args.admin_email else None

    async def go(conn: asyncpg.Connection) -> tuple[UUID, str, str | None]:
        async with conn.transaction():
            org_id, key = await create_org(conn, args.name, setup=[install_builtin_items])
            link = None
            if signing is not None:
                await _first_admin(conn, org_id, args.admin_email, args.admin_name)
                link = await _admin_link(conn, signing[0], org_id, args.admin_email)
            return org_id, key, link

    org_id, key, link = with_db(settings, go)
    print(f"org {args.name.strip()!r} created: {org_id}")
    if link is not None and signing is not None:
        _print_link(signing[1], link, args.admin_email.strip())
    print(f"admin API key (shown once, store it now): {key}")


def cmd_org_admin(args: argparse.Namespace, settings: Any) -> None:
    """A new console sign-in link for an existing admin person."""
    secret, base = _link_signing(settings)

    async def go(conn: asyncpg.Connection) -> str:
        org = await resolve_org(conn, args.org)
        return await _admin_link(conn, secret, org["id"], args.email)

    link = with_db(settings, go)
    _print_link(base, link, args.email.strip())


async def _first_admin(
    conn: asyncpg.Connection, org_id: UUID, email: str, name: str | None
) -> None:
    """The org's first person, marked admin (both audited as the CLI)."""
    from .audit import Actor
    from .errors import CandorError
    from .surveys.directory.leaders import set_admin
    from .surveys.directory.models import PersonIn
    from .surveys.directory.people import create_person

    email = email.strip()
    display = (name or "").strip() or email.split("@")[0]
    try:
        person = msgspec.convert({"email": email, "display_name": display}, PersonIn)
        created = await create_person(conn, org_id, person, actor=Actor.cli(org_id))
        await set_admin(conn, org_id, created.id, True, actor=Actor.cli(org_id))
    except msgspec.ValidationError as exc:
        raise CliError(f"--admin-email/--admin-name: {exc}") from None
    except CandorError as exc:
        raise CliError(f"--admin-email: {exc.detail}") from None


async def _admin_link(conn: asyncpg.Connection, secret: str, org_id: UUID, email: str) -> str:
    from .console.admin.first_link import NotAnAdmin, admin_link

    try:
        path, _ = await admin_link(conn, secret, org_id, email, datetime.now(UTC))
    except NotAnAdmin as exc:
        raise CliError(str(exc)) from None
    return path


def _link_signing(settings: Any) -> tuple[str, str]:
    """(SECRET_KEY, public base URL) of the server the link is for: the environment's, or
    else those of the `candor dev` running on the data folder. A link signed with any other
    key would not work, so there is no fallback."""
    import os
    from pathlib import Path

    from . import devrecord

    dev = devrecord.find_running(devrecord.data_folder())
    secret = os.environ.get("SECRET_KEY", "")
    if not secret and dev is not None and dev.secret_key_file:
        try:
            secret = Path(dev.secret_key_file).read_text().strip()
        except OSError:
            secret = ""
    if not secret:
        raise CliError(
            "a console sign-in link is signed with the server's SECRET_KEY: set SECRET_KEY to "
            "the value the server uses"
        )
    base = os.environ.get("PUBLIC_BASE_URL", "").strip()
    if not base and dev is not None:
        base = dev.api_url
    return secret, (base or settings.public_base_url).rstrip("/")


def _print_link(base: str, path: str, email: str) -> None:
    from .console.admin.first_link import FIRST_LINK_DAYS

    print(
        f"admin console sign-in link for {email} (works once, for {FIRST_LINK_DAYS} days; "
        f"a new one: `candor org admin ORG EMAIL`): {base}{path}"
    )


def cmd_org_floors(args: argparse.Namespace, settings: Any) -> None:
    """Show or change an org's anonymity floors (audited as the CLI)."""
    from .audit import Actor
    from .orgs import find_org, set_floors

    async def go(conn: asyncpg.Connection) -> tuple[str, Any, Any]:
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


def cmd_org_list(args: argparse.Namespace, settings: Any) -> None:
    async def go(conn: asyncpg.Connection) -> list[asyncpg.Record]:
        return await conn.fetch(queries.CLI_ORGS)

    orgs = with_db(settings, go)
    if args.json:
        _print_json([dict(o) for o in orgs])
        return
    if not orgs:
        print("no orgs yet; create one with `candor org create NAME`")
        return
    _print_table(
        ["id", "name", "created (UTC)", "people", "teams", "keys"],
        [
            [o["id"], o["name"], _when(o["created_at"]), o["people"], o["teams"], o["keys"]]
            for o in orgs
        ],
    )


def cmd_key_create(args: argparse.Namespace, settings: Any) -> None:
    from .admin import issue_key
    from .audit import Actor
    from .errors import InvalidInput
    from .surveys.directory import find_teams

    refs: list[str] = args.team or []
    if args.role == "leader" and not refs:
        raise CliError("a leader key needs at least one --team (a path like Engineering/Platform)")
    if args.role == "admin" and refs:
        raise CliError("an admin key sees the whole org; leave out --team or use --role leader")
    if not 1 <= len(args.name) <= 200:
        raise CliError("a key name has 1 to 200 characters")

    async def go(conn: asyncpg.Connection) -> tuple[UUID, str]:
        org = await resolve_org(conn, args.org)
        try:
            teams = await find_teams(conn, org["id"], refs)
        except InvalidInput as exc:
            raise CliError(f"--team: {exc.detail}") from None
        async with conn.transaction():
            return await issue_key(
                conn, Actor.cli(org["id"]), args.name, args.role, list(dict.fromkeys(teams))
            )

    key_id, key = with_db(settings, go)
    print(f"{args.role} key {key_id} created (shown once, store it now): {key}")


def cmd_key_list(args: argparse.Namespace, settings: Any) -> None:
    async def go(conn: asyncpg.Connection) -> tuple[list[asyncpg.Record], dict[UUID, str]]:
        org = await resolve_org(conn, args.org)
        return await conn.fetch(queries.CLI_KEYS, org["id"]), await _team_paths(conn, org["id"])

    keys, paths = with_db(settings, go)
    rows = [{**dict(k), "scope": [paths.get(t, str(t)) for t in k["scope_team_ids"]]} for k in keys]
    if args.json:
        _print_json(rows)
        return
    _print_table(
        ["id", "name", "prefix", "role", "scope", "created (UTC)", "revoked (UTC)"],
        [
            [
                r["id"],
                r["name"],
                r["prefix"],
                r["role"],
                ", ".join(r["scope"]) or "whole org",
                _when(r["created_at"]),
                _when(r["revoked_at"]) if r["revoked_at"] else "-",
            ]
            for r in rows
        ],
    )


def cmd_key_revoke(args: argparse.Namespace, settings: Any) -> None:
    async def go(conn: asyncpg.Connection) -> tuple[asyncpg.Record, bool]:
        from .admin import revoke_key
        from .audit import Actor

        org = await resolve_org(conn, args.org)
        key = await _find_key(conn, org["id"], args.key.strip())
        if key["revoked_at"] is not None:
            return key, False
        await revoke_key(conn, Actor.cli(org["id"]), key["id"])
        return key, True

    key, revoked_now = with_db(settings, go)
    what = f"{key['role']} key {key['name']!r} ({key['prefix']}, id {key['id']})"
    if not revoked_now:
        print(f"{what} was already revoked on {_when(key['revoked_at'])} UTC")
    else:
        print(f"revoked {what}")


async def _find_key(conn: asyncpg.Connection, org_id: UUID, ref: str) -> asyncpg.Record:
    from .auth import KEY_PREFIX, hash_secret  # not at the top: `candor --help` stays quick

    try:
        key_id = UUID(ref)
    except ValueError:
        pass
    else:
        found = await conn.fetchrow(queries.CLI_KEY_BY_ID, org_id, key_id)
        if found is None:
            raise CliError(f"this org has no key with id {key_id}")
        return found
    if not ref.startswith(KEY_PREFIX) or len(ref) < _MIN_PREFIX:
        raise CliError(
            f"give a key id, or a key prefix of at least {_MIN_PREFIX} characters "
            f"starting with {KEY_PREFIX} (see `candor key list`)"
        )
    whole = await conn.fetchrow(queries.CLI_KEY_BY_HASH, org_id, hash_secret(ref))
    if whole is not None:
        return whole
    matches = await conn.fetch(queries.CLI_KEYS_BY_PREFIX, org_id, ref)
    if not matches:
        raise CliError(f"this org has no key starting with {ref!r} (see `candor key list`)")
    if len(matches) > 1:
        raise CliError(f"{len(matches)} keys start with {ref!r}; give the key id instead")
    return matches[0]


async def _team_paths(conn: asyncpg.Connection, org_id: UUID) -> dict[UUID, str]:
    """Every team's path from its root, as the import writes it ("Engineering/Platform")."""
    teams = {
        t["id"]: (t["parent_id"], t["name"])
        for t in await conn.fetch(queries.CLI_TEAM_NAMES, org_id)
    }
    paths: dict[UUID, str] = {}
    for team_id in teams:
        names: list[str] = []
        at: UUID | None = team_id
        while at is not None and at in teams and len(names) <= len(teams):
            parent, name = teams[at]
            names.append(name)
            at = parent
        paths[team_id] = "/".join(reversed(names))
    return paths


def _when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _print_json(rows: list[dict[str, Any]]) -> None:
    sys.stdout.write(msgspec.json.format(msgspec.json.encode(rows)).decode() + "\n")


def _print_table(header: list[str], rows: list[list[Any]]) -> None:
    cells = [header, *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
