"""Tenant and scope isolation: every route the app serves, under every kind of wrong credential.

The routes come from the app itself; each must be in `ROUTES` (public, respondent token, admin,
leader, widget), so a route added later without a class fails `test_every_route_is_classified`.
For each route and credential — none, garbage, a revoked key, the admin key of another org, a
leader key out of its scope, a leader key on an admin route, widget tokens revoked / expired /
for another team / of another org — the answer is 401 or 404 as designed, the body holds none of
the victim's ids, names, emails or numbers, and the database is byte-for-byte what it was.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
import pytest
from litestar import Litestar, get
from litestar.routes import HTTPRoute

from service.auth import provide_principal
from tests.factories import TEST_SECRET
from tests.worlds import (
    APPS,
    ENG,
    GLOBEX_ITEM,
    NIGHT,
    PLATFORM,
    SALES,
    TINY,
    FuzzWorld,
    seed_fuzz_world,
)

PUBLIC = "public"  # anyone, no data of any org
TOKEN = "token"  # a respondent's or opt-out link: the token in the path is the credential
ADMIN = "admin"  # an org API key with role admin
LEADER = "leader"  # an org API key, admin or leader (leaders see their subtrees only)
WIDGET = "widget"  # a widget token in ?token=
SESSION = "session"  # a console session cookie (a person who leads teams, or an admin person)
ADMIN_SESSION = "admin session"  # the admin console: a session of an admin person only

Body = Callable[["Target"], Any]
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Route:
    kind: str
    # A valid request body, naming the target's objects where the route takes ids.
    body: Body | None = None
    content_type: str = "application/json"
    # False where a body names nothing another org could own (an org's own new items; people
    # imported by team *name*, which a dry run reports as teams it would create): such a
    # request is the caller's own business, only its answer must show nothing foreign.
    foreign: bool = True
    # Reads of org-wide, non-personal data (the item bank, the org's own name): a leader's
    # scope does not narrow them.
    org_wide: bool = False


@dataclass(frozen=True)
class Target:
    """The objects a request names: another org's, or out of a leader's scope."""

    team: UUID
    wave: UUID
    pulse: UUID
    person: UUID
    key_id: UUID
    token_id: UUID
    item: str
    email: str
    team_name: str


def _csv(t: Target) -> str:
    return f"email,display_name,team\n{t.email},Someone,{t.team_name}\n"


_ITEM = {
    "key": "intruder.item",
    "dimension": "trust",
    "texts": {"en": "An item", "nl": "Een item"},
}

ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/"): Route(PUBLIC),
    ("GET", "/health"): Route(PUBLIC),
    ("GET", "/ready"): Route(PUBLIC),
    ("GET", "/metrics"): Route(PUBLIC),
    ("GET", "/schema"): Route(PUBLIC),
    ("GET", "/schema/openapi.json"): Route(PUBLIC),
    ("GET", "/schema/swagger"): Route(PUBLIC),
    ("GET", "/schema/assets/{name:str}"): Route(PUBLIC),
    ("GET", "/schema/{path:str}"): Route(PUBLIC),
    ("GET", "/assets/respond.css"): Route(PUBLIC),
    ("GET", "/embed/v1/candor.js"): Route(PUBLIC),
    ("GET", "/s/{token:str}"): Route(TOKEN),
    ("POST", "/s/{token:str}"): Route(
        TOKEN, body=lambda t: "item:ps.risk=4", content_type="application/x-www-form-urlencoded"
    ),
    ("GET", "/api/v1/respond/{token:str}"): Route(TOKEN),
    ("POST", "/api/v1/respond/{token:str}"): Route(TOKEN, body=lambda t: {"answers": {}}),
    ("GET", "/optout/{token:str}"): Route(TOKEN),
    ("POST", "/optout/{token:str}"): Route(TOKEN),
    ("GET", "/embed/v1/frame"): Route(WIDGET),
    ("GET", "/embed/v1/trend.json"): Route(WIDGET),
    ("GET", "/embed/v1/badge.svg"): Route(WIDGET),
    ("GET", "/api/v1/org"): Route(LEADER, org_wide=True),
    ("GET", "/api/v1/keys"): Route(ADMIN),
    ("POST", "/api/v1/keys"): Route(
        ADMIN, body=lambda t: {"name": "intruder", "role": "leader", "scope_team_ids": [t.team]}
    ),
    ("DELETE", "/api/v1/keys/{key_id:uuid}"): Route(ADMIN),
    ("GET", "/api/v1/audit"): Route(ADMIN),
    ("GET", "/api/v1/audit.csv"): Route(ADMIN),
    ("GET", "/api/v1/teams"): Route(LEADER),
    ("POST", "/api/v1/teams"): Route(ADMIN, body=lambda t: {"name": "x", "parent_id": t.team}),
    ("GET", "/api/v1/teams/tree"): Route(LEADER),
    ("GET", "/api/v1/teams/{team_id:uuid}"): Route(LEADER),
    ("PATCH", "/api/v1/teams/{team_id:uuid}"): Route(ADMIN, body=lambda t: {"name": "Renamed"}),
    ("POST", "/api/v1/teams/{team_id:uuid}/move"): Route(ADMIN, body=lambda t: {"parent_id": None}),
    ("PUT", "/api/v1/teams/{team_id:uuid}/report-with"): Route(
        ADMIN, body=lambda t: {"report_with": t.team}
    ),
    ("POST", "/api/v1/teams/{team_id:uuid}/archive"): Route(ADMIN),
    ("GET", "/api/v1/people"): Route(ADMIN),
    ("POST", "/api/v1/people"): Route(
        ADMIN,
        body=lambda t: {"email": "intruder@evil.test", "display_name": "I", "team_id": t.team},
    ),
    ("GET", "/api/v1/people/{person_id:uuid}"): Route(ADMIN),
    ("PATCH", "/api/v1/people/{person_id:uuid}"): Route(
        ADMIN, body=lambda t: {"display_name": "Renamed"}
    ),
    ("POST", "/api/v1/people/{person_id:uuid}/deactivate"): Route(ADMIN),
    ("POST", "/api/v1/people/import"): Route(
        ADMIN, body=_csv, content_type="text/csv", foreign=False
    ),
    ("GET", "/api/v1/items"): Route(LEADER, org_wide=True),
    ("POST", "/api/v1/items"): Route(ADMIN, body=lambda t: _ITEM, foreign=False),
    ("POST", "/api/v1/instruments"): Route(
        ADMIN, body=lambda t: {"name": "Intruder scale", "items": [_ITEM]}, foreign=False
    ),
    ("GET", "/api/v1/items/{key:str}"): Route(LEADER, org_wide=True),
    ("POST", "/api/v1/items/{key:str}/retire"): Route(ADMIN),
    ("GET", "/api/v1/pulses"): Route(LEADER),
    ("POST", "/api/v1/pulses"): Route(ADMIN, body=lambda t: {"name": "x", "team_ids": [t.team]}),
    ("POST", "/api/v1/pulses/preview"): Route(
        ADMIN, body=lambda t: {"name": "x", "team_ids": [t.team]}
    ),
    ("GET", "/api/v1/pulses/{pulse_id:uuid}"): Route(LEADER),
    ("PATCH", "/api/v1/pulses/{pulse_id:uuid}"): Route(ADMIN, body=lambda t: {"name": "Renamed"}),
    ("GET", "/api/v1/pulses/{pulse_id:uuid}/schedule"): Route(LEADER),
    ("GET", "/api/v1/pulses/{pulse_id:uuid}/preview"): Route(ADMIN),
    ("POST", "/api/v1/pulses/{pulse_id:uuid}/activate"): Route(ADMIN),
    ("POST", "/api/v1/pulses/{pulse_id:uuid}/deactivate"): Route(ADMIN),
    ("POST", "/api/v1/pulses/{pulse_id:uuid}/waves"): Route(ADMIN),
    ("GET", "/api/v1/waves"): Route(LEADER),
    ("GET", "/api/v1/waves/{wave_id:uuid}"): Route(LEADER),
    ("POST", "/api/v1/waves/{wave_id:uuid}/close"): Route(ADMIN),
    ("GET", "/api/v1/waves/{wave_id:uuid}/delivery"): Route(LEADER),
    ("GET", "/api/v1/waves/{wave_id:uuid}/heatmap"): Route(LEADER),
    ("GET", "/api/v1/waves/{wave_id:uuid}/heatmap.csv"): Route(LEADER),
    ("GET", "/api/v1/teams/{team_id:uuid}/trend"): Route(LEADER),
    ("GET", "/api/v1/teams/{team_id:uuid}/trend.csv"): Route(LEADER),
    ("GET", "/api/v1/teams/{team_id:uuid}/waves/{wave_id:uuid}/comments"): Route(LEADER),
    ("GET", "/api/v1/widget-tokens"): Route(ADMIN),
    ("POST", "/api/v1/widget-tokens"): Route(
        ADMIN, body=lambda t: {"label": "x", "team_id": t.team}
    ),
    ("DELETE", "/api/v1/widget-tokens/{token_id:uuid}"): Route(ADMIN),
    ("GET", "/api/v1/teams/{team_id:uuid}/leaders"): Route(ADMIN),
    ("PUT", "/api/v1/teams/{team_id:uuid}/leaders"): Route(
        ADMIN, body=lambda t: {"person_ids": [str(t.person)]}
    ),
    ("GET", "/api/v1/people/{person_id:uuid}/roles"): Route(ADMIN),
    ("PUT", "/api/v1/people/{person_id:uuid}/admin"): Route(ADMIN, body=lambda t: {"admin": True}),
    # The leaders' console: pages behind a session cookie, and the way to get one.
    ("GET", "/console"): Route(PUBLIC),
    ("GET", "/console/sign-in"): Route(PUBLIC),
    ("POST", "/console/sign-in"): Route(
        PUBLIC, body=lambda t: f"email={t.email}", content_type=FORM
    ),
    ("GET", "/console/assets/console.css"): Route(PUBLIC),
    ("GET", "/console/{path:path}"): Route(PUBLIC),
    ("GET", "/console/link/{token:str}"): Route(TOKEN),
    ("POST", "/console/link/{token:str}"): Route(TOKEN, body=lambda t: "csrf=x", content_type=FORM),
    ("POST", "/console/sign-out"): Route(SESSION, body=lambda t: "", content_type=FORM),
    ("POST", "/console/language"): Route(SESSION, body=lambda t: "lang=nl", content_type=FORM),
    ("GET", "/console/teams"): Route(SESSION),
    ("GET", "/console/teams/{team_id:str}"): Route(SESSION),
    ("GET", "/console/teams/{team_id:str}/items"): Route(SESSION),
    ("GET", "/console/teams/{team_id:str}/talk"): Route(SESSION),
    ("GET", "/console/teams/{team_id:str}/focus"): Route(SESSION),
    ("POST", "/console/teams/{team_id:str}/focus"): Route(
        SESSION,
        body=lambda t: "dimension=trust&try_text=Intrude&agreed_on=2026-01-01",
        content_type=FORM,
    ),
    ("GET", "/console/heatmap"): Route(SESSION),
    ("GET", "/console/heatmap.csv"): Route(SESSION),
    ("GET", "/console/settings"): Route(SESSION),
    ("POST", "/console/settings"): Route(SESSION, body=lambda t: "lang=nl", content_type=FORM),
    # The admin console: an admin person's session; a leader's session meets a 404 page.
    ("GET", "/console/admin"): Route(ADMIN_SESSION),
    ("GET", "/console/admin/pulses"): Route(ADMIN_SESSION),
    ("GET", "/console/admin/pulses/new"): Route(ADMIN_SESSION),
    ("POST", "/console/admin/pulses/new"): Route(
        ADMIN_SESSION, body=lambda t: f"name=x&team={t.team}&action=save", content_type=FORM
    ),
    ("GET", "/console/admin/pulses/{pulse_id:str}"): Route(ADMIN_SESSION),
    ("POST", "/console/admin/pulses/{pulse_id:str}"): Route(
        ADMIN_SESSION, body=lambda t: f"name=x&team={t.team}&action=save", content_type=FORM
    ),
    ("GET", "/console/admin/waves"): Route(ADMIN_SESSION),
    ("POST", "/console/admin/waves/open"): Route(
        ADMIN_SESSION, body=lambda t: f"pulse={t.pulse}", content_type=FORM
    ),
    ("GET", "/console/admin/waves/{wave_id:str}"): Route(ADMIN_SESSION),
    ("GET", "/console/admin/waves/{wave_id:str}/close"): Route(ADMIN_SESSION),
    ("POST", "/console/admin/waves/{wave_id:str}/close"): Route(
        ADMIN_SESSION, body=lambda t: "", content_type=FORM
    ),
    ("GET", "/console/admin/keys"): Route(ADMIN_SESSION),
    ("POST", "/console/admin/keys"): Route(
        ADMIN_SESSION, body=lambda t: f"name=Intrude&role=leader&team={t.team}", content_type=FORM
    ),
    ("GET", "/console/admin/keys/{key_id:str}/revoke"): Route(ADMIN_SESSION),
    ("POST", "/console/admin/keys/{key_id:str}/revoke"): Route(
        ADMIN_SESSION, body=lambda t: "", content_type=FORM
    ),
    ("GET", "/console/admin/widgets"): Route(ADMIN_SESSION),
    ("POST", "/console/admin/widgets"): Route(
        ADMIN_SESSION, body=lambda t: f"label=Intrude&team={t.team}", content_type=FORM
    ),
    ("GET", "/console/admin/widgets/{token_id:str}/revoke"): Route(ADMIN_SESSION),
    ("POST", "/console/admin/widgets/{token_id:str}/revoke"): Route(
        ADMIN_SESSION, body=lambda t: "", content_type=FORM
    ),
    ("GET", "/console/admin/audit"): Route(ADMIN_SESSION),
    ("GET", "/console/admin/audit.csv"): Route(ADMIN_SESSION),
    ("GET", "/console/admin/org"): Route(ADMIN_SESSION),
    ("GET", "/console/admin/org/import"): Route(ADMIN_SESSION),
    ("POST", "/console/admin/org/import"): Route(
        ADMIN_SESSION, body=lambda t: "create_teams=on", content_type=FORM
    ),
    ("POST", "/console/admin/org/import/apply"): Route(
        ADMIN_SESSION, body=lambda t: "upload=x", content_type=FORM
    ),
    ("GET", "/console/admin/teams/{team_id:str}"): Route(ADMIN_SESSION),
    ("POST", "/console/admin/teams/{team_id:str}/leaders"): Route(
        ADMIN_SESSION, body=lambda t: f"add_email={t.email}", content_type=FORM
    ),
    ("POST", "/console/admin/teams/{team_id:str}/report-with"): Route(
        ADMIN_SESSION, body=lambda t: "report_with=default", content_type=FORM
    ),
    ("GET", "/console/admin/people"): Route(ADMIN_SESSION),
    ("GET", "/console/admin/people/{person_id:str}"): Route(ADMIN_SESSION),
    ("POST", "/console/admin/people/{person_id:str}"): Route(
        ADMIN_SESSION,
        body=lambda t: f"display_name=X&email={t.email}&locale=en&active=on",
        content_type=FORM,
    ),
}

# Routes the design puts out of a leader's reach that the code still lets leaders read, each
# with where to fix it. Violations on these are reported by their own strict-xfail test below,
# so the matrix stays a gate for everything else and this list can only shrink.
KNOWN_GAPS: dict[tuple[str, str], str] = {}


def app_routes(app: Litestar) -> dict[tuple[str, str], bool]:
    """(method, path template) of every route the app serves -> whether it takes an API key."""
    found: dict[tuple[str, str], bool] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            # OPTIONS (CORS preflight) and HEAD answer no data of their own.
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                keyed = any(
                    p.dependency is provide_principal
                    for p in handler.resolve_dependencies().values()
                )
                found[(method, route.path)] = keyed
    return found


def test_every_route_is_classified(app: Litestar) -> None:
    served = app_routes(app)
    unclassified = sorted(set(served) - set(ROUTES))
    assert not unclassified, f"classify these routes in ROUTES: {unclassified}"
    stale = sorted(set(ROUTES) - set(served))
    assert not stale, f"ROUTES names routes the app no longer serves: {stale}"
    # The table cannot lie about who a route lets in: key-taking routes are admin/leader ones.
    wrong = [
        (key, ROUTES[key].kind)
        for key, keyed in served.items()
        if keyed != (ROUTES[key].kind in (ADMIN, LEADER))
    ]
    assert not wrong, f"classification disagrees with the route's API-key dependency: {wrong}"


def test_a_route_added_without_a_class_is_caught() -> None:
    @get("/api/v1/brand-new-thing")
    async def brand_new() -> dict[str, str]:
        return {}

    served = app_routes(Litestar(route_handlers=[brand_new], openapi_config=None))
    assert set(served) - set(ROUTES) == {("GET", "/api/v1/brand-new-thing")}


# --- the matrix ---------------------------------------------------------------------------------

_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
# Path parameters that address something owned by a team, a wave, a key...: naming one the
# caller may not see must answer 404.
SCOPED_PARAMS = {"team_id", "wave_id", "pulse_id", "person_id", "key_id", "token_id"}


def _path(template: str, t: Target, token: str = "") -> str:
    values = {
        "team_id": t.team,
        "wave_id": t.wave,
        "pulse_id": t.pulse,
        "person_id": t.person,
        "key_id": t.key_id,
        "token_id": t.token_id,
        "key": t.item,
        "token": token or secrets.token_urlsafe(32),
        "path": "nothing-here.json",
        "name": "swagger-ui.css",
    }
    return _PARAM.sub(lambda m: str(values[m.group(1)]), template)


def _params(template: str) -> set[str]:
    return {m.group(1) for m in _PARAM.finditer(template)}


@dataclass
class Verdict:
    violations: list[str]
    gaps: list[str]

    def record(self, key: tuple[str, str], message: str) -> None:
        (self.gaps if key in KNOWN_GAPS else self.violations).append(message)


async def _request(
    client: Any, method: str, route: Route, template: str, t: Target, headers: dict[str, str]
) -> tuple[int, str, str]:
    """(status, body text, what the request itself carried: ids it names may be echoed)."""
    path = _path(template, t)
    kwargs: dict[str, Any] = {"headers": dict(headers)}
    sent = path
    if route.body is not None and method in ("POST", "PATCH", "PUT"):
        body = route.body(t)
        if isinstance(body, str):
            kwargs["content"] = body.encode()
            sent += body
        else:
            kwargs["content"] = msgspec.json.encode(body)
            sent += kwargs["content"].decode()
        kwargs["headers"]["Content-Type"] = route.content_type
    if template == "/api/v1/people/import":
        path += "?dry_run=true"  # a real import into the caller's own org is no intrusion
    r = await client.request(method, path, **kwargs)
    return r.status_code, r.text, sent


def _leaks(body: str, secrets_: list[str], sent: str) -> list[str]:
    return [s for s in secrets_ if s and s not in sent and s.lower() in body.lower()]


def _globex_target(w: FuzzWorld, emails: list[str]) -> Target:
    g = w.globex
    return Target(
        team=g.teams[NIGHT],
        wave=g.closed_wave,
        pulse=g.pulse_id,
        person=g.people[0],
        key_id=g.admin_key_id,
        token_id=g.widget_token_id,
        item=GLOBEX_ITEM,
        email=emails[0],
        team_name=NIGHT,
    )


def _sales_target(w: FuzzWorld) -> Target:
    a = w.acme
    return Target(
        team=a.teams[SALES],
        wave=w.sales_wave,
        pulse=w.sales_pulse,
        person=w.sales_people[0],
        key_id=w.spare_key_id,
        token_id=a.widget_token_id,
        item="ps.risk",
        email="someone@acme.test",
        team_name=SALES,
    )


def _own_target(w: FuzzWorld) -> Target:
    a = w.acme
    return Target(
        team=a.teams[PLATFORM],
        wave=a.closed_wave,
        pulse=a.pulse_id,
        person=a.people[0],
        key_id=w.spare_key_id,
        token_id=a.widget_token_id,
        item="ps.risk",
        email="someone@acme.test",
        team_name=PLATFORM,
    )


async def _digest(pool: asyncpg.Pool) -> dict[str, str]:
    """A fingerprint of every row of every table: the matrix must change nothing."""
    tables = await pool.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    )
    out: dict[str, str] = {}
    for t in tables:
        name = t["tablename"]
        rows = await pool.fetch(f'SELECT t::text AS r FROM "{name}" t')
        out[name] = hashlib.sha256("\n".join(sorted(r["r"] for r in rows)).encode()).hexdigest()
    return out


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


GARBAGE = [
    {},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer garbage"},
    {"Authorization": "Basic YWRtaW46YWRtaW4="},
    {"Authorization": "Bearer cnd_" + secrets.token_urlsafe(32)},
    {"Authorization": "Bearer cnd_" + "A" * 500},
    {"Authorization": "Bearer cwt_" + secrets.token_urlsafe(32)},
]


@pytest.fixture
async def world(pool: asyncpg.Pool, database_url: str) -> FuzzWorld:
    return await seed_fuzz_world(database_url, TEST_SECRET)


async def _check_keyed(
    client: Any, w: FuzzWorld, verdict: Verdict, everything: list[str], globex: list[str]
) -> None:
    sales = _sales_target(w)
    sales_secrets = [str(sales.team), SALES, str(sales.wave), str(sales.pulse)] + [
        str(p) for p in w.sales_people
    ]
    globex_t = _globex_target(w, [e for e in w.emails if e.endswith("globex.test")])
    own = _own_target(w)
    for (method, template), route in ROUTES.items():
        if route.kind not in (ADMIN, LEADER):
            continue
        key = (method, template)
        label = f"{method} {template}"
        scoped = bool(_params(template) & SCOPED_PARAMS) or "{key:str}" in template
        # No key, garbage, a revoked key: 401 and nothing else.
        for headers in [*GARBAGE, _bearer(w.revoked_key)]:
            status, body, sent = await _request(client, method, route, template, own, headers)
            if status != 401:
                verdict.record(key, f"{label} with {headers or 'no key'} -> {status}, not 401")
            if leaked := _leaks(body, everything, sent):
                verdict.record(key, f"{label} without a valid key leaked {leaked}")
        # Another org's admin key, naming this org's objects.
        if (route.body is not None and route.foreign) or method == "GET" or scoped:
            admin = _bearer(w.acme.admin_key)
            status, body, sent = await _request(client, method, route, template, globex_t, admin)
            if scoped and status != 404:
                verdict.record(key, f"{label}: Acme admin on Globex ids -> {status}, not 404")
            if not scoped and route.foreign and 200 <= status < 300 and method != "GET":
                verdict.record(key, f"{label}: Acme admin naming Globex ids -> {status}")
            if leaked := _leaks(body, globex, sent):
                verdict.record(key, f"{label}: Acme admin saw Globex's {leaked}")
        leader = _bearer(w.leader_key)
        if route.kind == ADMIN:
            # A leader key on an admin route, even naming its own teams: 404, no data.
            status, body, sent = await _request(client, method, route, template, own, leader)
            if status != 404:
                verdict.record(key, f"{label}: leader key on an admin route -> {status}, not 404")
            if leaked := _leaks(body, everything, sent):
                verdict.record(key, f"{label}: leader key on an admin route saw {leaked}")
            continue
        # The Engineering leader naming Sales (same org, out of scope).
        status, body, sent = await _request(client, method, route, template, sales, leader)
        if scoped and not route.org_wide and status != 404:
            verdict.record(key, f"{label}: leader out of scope -> {status}, not 404")
        if leaked := _leaks(body, sales_secrets + globex, sent):
            verdict.record(key, f"{label}: leader out of scope saw {leaked}")


async def _check_tokens(client: Any, w: FuzzWorld, verdict: Verdict, everything: list[str]) -> None:
    own = _own_target(w)
    bad_tokens = [
        secrets.token_urlsafe(32),
        "x",
        w.acme.widget_token,
        w.acme.admin_key,
        "%00",
        "A" * 300,
    ]
    for (method, template), route in ROUTES.items():
        key = (method, template)
        label = f"{method} {template}"
        if route.kind == TOKEN:
            for token in bad_tokens:
                path = _path(template, own, token)
                kwargs: dict[str, Any] = {"headers": _bearer(w.acme.admin_key)}
                if route.body is not None:
                    body = route.body(own)
                    if isinstance(body, str):
                        kwargs["content"] = body.encode()
                    else:
                        kwargs["content"] = msgspec.json.encode(body)
                    kwargs["headers"]["Content-Type"] = route.content_type
                r = await client.request(method, path, **kwargs)
                if r.status_code != 404:
                    verdict.record(key, f"{label} with a bad token -> {r.status_code}, not 404")
                if leaked := _leaks(r.text, everything, path):
                    verdict.record(key, f"{label} with a bad token leaked {leaked}")
        elif route.kind == PUBLIC:
            r = await client.request(method, _path(template, own), headers={})
            if r.status_code >= 500:
                verdict.record(key, f"{label} -> {r.status_code}")
            if leaked := _leaks(r.text, everything, ""):
                verdict.record(key, f"{label} (public) shows {leaked}")


async def _check_widgets(
    client: Any, w: FuzzWorld, verdict: Verdict, everything: list[str]
) -> None:
    platform = w.acme.teams[PLATFORM]
    engineering = [str(w.acme.teams[t]) for t in (ENG, PLATFORM, APPS, TINY)]
    cases = [
        ("no token", {}),
        ("garbage token", {"token": "cwt_" + secrets.token_urlsafe(32)}),
        ("malformed token", {"token": "not-a-token"}),
        ("revoked token", {"token": w.revoked_widget}),
        ("expired token", {"token": w.expired_widget}),
        ("another team's token", {"token": w.other_team_widget, "team": str(platform)}),
        ("another org's token", {"token": w.globex.widget_token, "team": str(platform)}),
        ("API key as token", {"token": w.acme.admin_key}),
    ]
    for (method, template), route in ROUTES.items():
        if route.kind != WIDGET:
            continue
        key = (method, template)
        for what, params in cases:
            r = await client.get(template, params=params, headers=_bearer(w.acme.admin_key))
            if r.status_code != 404:
                verdict.record(key, f"GET {template} with {what} -> {r.status_code}, not 404")
            if leaked := _leaks(r.text, everything, ""):
                verdict.record(key, f"GET {template} with {what} leaked {leaked}")
        # Another team's valid token without naming a team shows that team, nothing more.
        r = await client.get(template, params={"token": w.other_team_widget})
        if leaked := _leaks(r.text, [*engineering, ENG, PLATFORM, APPS, TINY], ""):
            verdict.record(key, f"GET {template}: Sales' widget showed Engineering's {leaked}")


async def _sessions(pool: asyncpg.Pool, w: FuzzWorld) -> dict[str, tuple[str, str]]:
    """Console sessions: the Engineering leader, an Acme admin person, and an ended session.

    Started ten minutes ahead, so using them never moves their idle expiry (a write) while the
    matrix runs: refused requests must leave every table as it was.
    """
    from service.console.sessions import end_session, load_session, start_session

    later = datetime.now(UTC) + timedelta(minutes=10)
    lead, admin = w.acme.people[0], w.acme.people[1]
    out: dict[str, tuple[str, str]] = {}
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO team_leaders (org_id, team_id, person_id) VALUES ($1, $2, $3)",
            w.acme.id,
            w.acme.teams[ENG],
            lead,
        )
        await conn.execute("UPDATE people SET admin = true WHERE id = $1", admin)
        for name, person in (("leader", lead), ("admin", admin), ("ended", lead)):
            value = await start_session(conn, w.acme.id, person, later)
            session = await load_session(conn, value, later)
            assert session is not None
            out[name] = (value, session.csrf)
            if name == "ended":
                await end_session(conn, session, later)
    return out


def _cookie(value: str) -> dict[str, str]:
    return {"Cookie": f"candor_console={value}"}


async def _check_sessions(
    client: Any,
    w: FuzzWorld,
    verdict: Verdict,
    everything: list[str],
    globex: list[str],
    sessions: dict[str, tuple[str, str]],
) -> None:
    sales = _sales_target(w)
    sales_secrets = [str(sales.team), SALES, str(sales.wave)] + [str(p) for p in w.sales_people]
    globex_t = _globex_target(w, [e for e in w.emails if e.endswith("globex.test")])
    own = _own_target(w)
    garbage = ["garbage", secrets.token_urlsafe(32), sessions["ended"][0], w.acme.admin_key]
    for (method, template), route in ROUTES.items():
        if route.kind == ADMIN_SESSION:
            await _check_admin_session(client, verdict, method, template, route, own, sessions)
            continue
        if route.kind != SESSION:
            continue
        key = (method, template)
        label = f"{method} {template}"
        # No session, a made-up one, an ended one, an API key as a cookie: sign in first.
        for value in [None, *garbage]:
            kwargs: dict[str, Any] = {"headers": _cookie(value) if value else {}}
            if route.body is not None:
                kwargs["content"] = route.body(own).encode()
                kwargs["headers"]["Content-Type"] = route.content_type
            path = _path(template, own)
            r = await client.request(method, path, follow_redirects=False, **kwargs)
            where = r.headers.get("location", "")
            if r.status_code != 303 or not where.startswith("/console/sign-in"):
                verdict.record(key, f"{label} with cookie {value!r} -> {r.status_code} {where}")
            if leaked := _leaks(r.text, everything, path):
                verdict.record(key, f"{label} without a session leaked {leaked}")
        if "{team_id" not in template and "heatmap" not in template:
            continue
        # The Engineering leader naming Sales, an Acme admin naming Globex: 404, as the API.
        for who, target, hidden in (
            ("leader", sales, sales_secrets + globex),
            ("admin", globex_t, globex),
        ):
            value, csrf = sessions[who]
            path = _path(template, target) + (
                f"?wave={target.wave}" if "heatmap" in template else ""
            )
            kwargs = {"headers": _cookie(value)}
            if route.body is not None:
                kwargs["content"] = f"{route.body(target)}&csrf={csrf}".encode()
                kwargs["headers"]["Content-Type"] = route.content_type
            r = await client.request(method, path, follow_redirects=False, **kwargs)
            if r.status_code != 404:
                verdict.record(key, f"{label}: {who} session out of scope -> {r.status_code}")
            if leaked := _leaks(r.text, hidden, path):
                verdict.record(key, f"{label}: {who} session out of scope saw {leaked}")


async def _check_admin_session(
    client: Any,
    verdict: Verdict,
    method: str,
    template: str,
    route: Route,
    own: Target,
    sessions: dict[str, tuple[str, str]],
) -> None:
    """No session: sign in first. A leader's session (not an admin person): the 404 page."""
    key = (method, template)
    path = _path(template, own)
    for value in [None, sessions["ended"][0], sessions["leader"][0]]:
        kwargs: dict[str, Any] = {"headers": _cookie(value) if value else {}}
        if route.body is not None:
            csrf = sessions["leader"][1]
            kwargs["content"] = f"{route.body(own)}&csrf={csrf}".encode()
            kwargs["headers"]["Content-Type"] = route.content_type
        r = await client.request(method, path, follow_redirects=False, **kwargs)
        where = r.headers.get("location", "")
        if value == sessions["leader"][0]:
            if r.status_code != 404:
                verdict.record(key, f"{method} {template}: a leader's session -> {r.status_code}")
        elif r.status_code != 303 or not where.startswith("/console/sign-in"):
            verdict.record(key, f"{method} {template} with cookie {value!r} -> {r.status_code}")


async def test_no_credential_reaches_another_org_or_scope(
    client: Any, pool: asyncpg.Pool, world: FuzzWorld
) -> None:
    w = world
    globex = [*w.globex.ids(), *w.globex.names, *[e for e in w.emails if "globex" in e]]
    everything = [*w.acme.ids(), *w.acme.names[1:], *globex, *w.emails]
    sessions = await _sessions(pool, w)
    before = await _digest(pool)
    verdict = Verdict([], [])
    await _check_keyed(client, w, verdict, everything, globex)
    await _check_tokens(client, w, verdict, everything)
    await _check_widgets(client, w, verdict, everything)
    await _check_sessions(client, w, verdict, everything, globex, sessions)
    assert not verdict.violations, "\n".join(verdict.violations)
    assert await _digest(pool) == before, "a refused request changed stored data"


async def test_leader_keys_never_see_a_person(client: Any, world: FuzzWorld) -> None:
    """Every GET a leader key can make, naming its own teams: no email, no display name."""
    w = world
    people = [e for e in w.emails if e.endswith("acme.test")] + [
        n for n in w.acme.names if "Person" in n
    ]
    own = _own_target(w)
    seen: list[str] = []
    for (method, template), route in ROUTES.items():
        if method != "GET" or route.kind not in (ADMIN, LEADER):
            continue
        status, body, sent = await _request(
            client, method, route, template, own, _bearer(w.leader_key)
        )
        if leaked := _leaks(body, people, sent):
            seen.append(f"GET {template} -> {status} shows {leaked[:3]}")
    assert not seen, "\n".join(seen)
