"""Admin API for widget tokens: create (the token is shown once), list, revoke (both logged).

`issue_widget_token` and `revoke_widget_token` are also what the admin console's widget page
calls, with the person as the audit log's actor.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated
from uuid import UUID

import asyncpg
import msgspec
from litestar import Controller, delete, get, post
from litestar.datastructures import State
from litestar.di import Provide

from ...audit import Actor, Details, record
from ...auth import Principal, provide_principal
from ...errors import InvalidInput, NotFound
from .tokens import list_tokens, normalise_origin, revoke_token, store_token, team_is_live

MAX_LIFETIME = timedelta(days=3 * 366)
DEFAULT_LIFETIME = timedelta(days=365)

Label = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Origin = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]


# Fields the token's listing and the answer to creating one share.
WidgetTeam = Annotated[
    UUID,
    msgspec.Meta(
        description="The team whose trend it shows",
        examples=["2b8e6a41-0c3d-4f5e-8a9b-7c1d2e3f4a50"],
    ),
]
WithSubtree = Annotated[
    bool,
    msgspec.Meta(description="Whether the trend includes every team below it", examples=[True]),
]
AllowedOrigins = Annotated[
    list[str],
    msgspec.Meta(
        description="The origins that may frame the page and read the JSON",
        examples=[["https://wiki.example.com"]],
    ),
]
ExpiresAt = Annotated[
    datetime,
    msgspec.Meta(description="When it stops working", examples=["2027-11-30T00:00:00Z"]),
]


class WidgetTokenIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    label: Annotated[
        Label,
        msgspec.Meta(
            description="A name to recognise the token by, e.g. where the widget is embedded",
            examples=["Platform team wiki"],
        ),
    ]
    team_id: Annotated[
        UUID,
        msgspec.Meta(
            description="The team whose trend the widget shows",
            examples=["2b8e6a41-0c3d-4f5e-8a9b-7c1d2e3f4a50"],
        ),
    ]
    subtree: Annotated[
        bool,
        msgspec.Meta(
            description="True: the team with every team below it; false: its own people only",
            examples=[True],
        ),
    ] = True
    allowed_origins: Annotated[
        Annotated[list[Origin], msgspec.Meta(max_length=20)],
        msgspec.Meta(
            description=(
                "Exact origins (scheme, host and port; no path, no wildcard) that may frame the "
                "page and read the JSON, at most 20; empty: badge only"
            ),
            examples=[["https://wiki.example.com"]],
        ),
    ] = []
    # Default: one year from now. At most three years, so a forgotten link dies on its own.
    expires_at: Annotated[
        datetime | None,
        msgspec.Meta(
            description=(
                "When the token stops working, with a time zone, at most three years ahead; null "
                "or absent: one year from now"
            ),
            examples=["2027-11-30T00:00:00Z"],
        ),
    ] = None


class WidgetTokenOut(msgspec.Struct, frozen=True):
    id: Annotated[
        UUID,
        msgspec.Meta(
            description="The token's id (for DELETE)",
            examples=["6f1c0d2e-4b7a-4e21-9a3c-1d5e8f2b7c40"],
        ),
    ]
    label: Annotated[
        str, msgspec.Meta(description="The token's label", examples=["Platform team wiki"])
    ]
    prefix: Annotated[
        str,
        msgspec.Meta(
            description="The first characters of the token, to recognise it",
            examples=["cwt_Ab12Cd34"],
        ),
    ]
    team_id: WidgetTeam
    subtree: WithSubtree
    allowed_origins: AllowedOrigins
    expires_at: ExpiresAt
    created_at: Annotated[
        datetime, msgspec.Meta(description="When it was created", examples=["2026-11-30T09:00:00Z"])
    ]
    revoked_at: Annotated[
        datetime | None,
        msgspec.Meta(description="When it was revoked; null while it works", examples=[None]),
    ]
    active: Annotated[
        bool, msgspec.Meta(description="True while neither revoked nor expired", examples=[True])
    ]


class EmbedSnippets(msgspec.Struct, frozen=True):
    iframe: Annotated[
        str,
        msgspec.Meta(
            description="An `<iframe>` tag for the chart page",
            examples=[
                (
                    '<iframe src="https://candor.example.org/embed/v1/frame?token=cwt_..." '
                    'title="Team trend" referrerpolicy="no-referrer" loading="lazy"></iframe>'
                )
            ],
        ),
    ]
    component: Annotated[
        str,
        msgspec.Meta(
            description="The `<candor-team-trend>` web component with its script tag",
            examples=[
                (
                    '<script src="https://candor.example.org/embed/v1/candor.js" defer>'
                    '</script><candor-team-trend token="cwt_..."></candor-team-trend>'
                )
            ],
        ),
    ]
    badge: Annotated[
        str,
        msgspec.Meta(
            description="An `<img>` tag for the SVG badge",
            examples=[
                '<img alt="psychological safety" src="https://candor.example.org/embed/v1/badge.svg?token=cwt_...">'
            ],
        ),
    ]


class NewWidgetToken(msgspec.Struct, frozen=True):
    id: Annotated[
        UUID,
        msgspec.Meta(
            description="The token's id", examples=["6f1c0d2e-4b7a-4e21-9a3c-1d5e8f2b7c40"]
        ),
    ]
    token: Annotated[
        str,
        msgspec.Meta(
            description=(
                "The token itself (`cwt_...`). Shown only in this answer; only its hash is stored"
            ),
            examples=["cwt_Ab12Cd34_q8Lm3Xv7Tz1Nw5Rb9Ke2Hs6Ju4"],
        ),
    ]
    label: Annotated[
        str, msgspec.Meta(description="The token's label", examples=["Platform team wiki"])
    ]
    team_id: WidgetTeam
    subtree: WithSubtree
    allowed_origins: AllowedOrigins
    expires_at: ExpiresAt
    embed: Annotated[
        EmbedSnippets, msgspec.Meta(description="Snippets ready to paste, with the token in them")
    ]
    note: Annotated[
        str,
        msgspec.Meta(
            description="A reminder that the token is shown only once",
            examples=["Store this token now; it is shown only once."],
        ),
    ] = "Store this token now; it is shown only once."


def embed_snippets(base: str, token: str) -> EmbedSnippets:
    frame = f"{base}/embed/v1/frame?token={token}"
    return EmbedSnippets(
        iframe=(
            f'<iframe src="{frame}" title="Team pulse" width="500" height="420" '
            'style="border:0" referrerpolicy="no-referrer" loading="lazy"></iframe>'
        ),
        component=(
            f'<script src="{base}/embed/v1/candor.js" defer></script>\n'
            f'<candor-team-trend token="{token}"></candor-team-trend>'
        ),
        badge=f"{base}/embed/v1/badge.svg?token={token}&dimension=psychological_safety",
    )


def _check_expiry(value: datetime | None) -> datetime:
    now = datetime.now(UTC)
    if value is None:
        return now + DEFAULT_LIFETIME
    if value.tzinfo is None:
        raise InvalidInput("expires_at needs a time zone, e.g. 2027-01-31T00:00:00Z.")
    if value <= now:
        raise InvalidInput("expires_at must be in the future.")
    if value > now + MAX_LIFETIME:
        raise InvalidInput("expires_at may be at most three years ahead.")
    return value


def _check_origins(values: list[str]) -> list[str]:
    origins: list[str] = []
    for value in values:
        origin = normalise_origin(value)
        if origin is None:
            raise InvalidInput(
                f"{value[:80]!r} is not an origin; give scheme and host only, "
                "like https://wiki.example.com (no path, no wildcard)."
            )
        if origin not in origins:
            origins.append(origin)
    return origins


async def issue_widget_token(
    conn: asyncpg.Connection,
    actor: Actor,
    *,
    label: str,
    team_id: UUID,
    subtree: bool,
    origins: list[str],
    expires_at: datetime,
) -> tuple[UUID, str]:
    """Make a token for a live team of the actor's org and log it, in the caller's transaction;
    (its id, the token itself: shown once, never stored). NotFound for any other team."""
    if not await team_is_live(conn, actor.org_id, team_id):
        raise NotFound("No such team.")
    token_id, _, token = await store_token(
        conn,
        actor.org_id,
        team_id=team_id,
        subtree=subtree,
        allowed_origins=origins,
        label=label,
        expires_at=expires_at,
    )
    details: Details = {"team_id": team_id, "subtree": subtree}
    await record(conn, actor, "widget_token.create", "widget_token", token_id, details)
    return token_id, token


async def revoke_widget_token(conn: asyncpg.Connection, actor: Actor, token_id: UUID) -> bool:
    """Revoke a token of the actor's org and log it, in the caller's transaction; False when
    there is none. The caller empties its process's token cache after the commit."""
    done = await revoke_token(conn, actor.org_id, token_id)
    if done:
        await record(conn, actor, "widget_token.revoke", "widget_token", token_id)
    return done


class WidgetTokenController(Controller):
    path = "/api/v1/widget-tokens"
    tags = ["widgets"]
    dependencies = {"who": Provide(provide_principal)}

    @post(
        "/",
        description=(
            "Creates a token for a team's widget (the iframe page, the JSON, the web component "
            "and the badge). The answer holds the token (`cwt_...`) once, with snippets ready to "
            "paste; only its hash is stored. `allowed_origins` lists the sites that may frame the"
            " page and read the JSON."
        ),
        summary="Create a widget token (admin); the token is returned once",
    )
    async def create(self, state: State, who: Principal, data: WidgetTokenIn) -> NewWidgetToken:
        who.require_admin()
        expires_at = _check_expiry(data.expires_at)
        origins = _check_origins(data.allowed_origins)
        async with state.pool.acquire() as conn, conn.transaction():
            token_id, token = await issue_widget_token(
                conn,
                Actor.of_key(who),
                label=data.label,
                team_id=data.team_id,
                subtree=data.subtree,
                origins=origins,
                expires_at=expires_at,
            )
        return NewWidgetToken(
            id=token_id,
            token=token,
            label=data.label,
            team_id=data.team_id,
            subtree=data.subtree,
            allowed_origins=origins,
            expires_at=expires_at,
            embed=embed_snippets(state.settings.public_base_url, token),
        )

    @get(
        "/",
        description=(
            "The org's widget tokens: team, options, allowed origins, when each expires and when "
            "it was created or revoked. The tokens themselves are never shown again."
        ),
        summary="List widget tokens (admin); tokens themselves are never shown again",
    )
    async def list_tokens(self, state: State, who: Principal) -> list[WidgetTokenOut]:
        who.require_admin()
        rows = await list_tokens(state.pool, who.org_id)
        return [WidgetTokenOut(**dict(r)) for r in rows]

    @delete(
        "/{token_id:uuid}",
        description=(
            "Revokes a widget token: every widget using it shows the neutral 'unavailable' state "
            "from the next request on."
        ),
        summary="Revoke a widget token (admin); it stops working at once",
    )
    async def revoke(self, state: State, who: Principal, token_id: UUID) -> None:
        who.require_admin()
        async with state.pool.acquire() as conn, conn.transaction():
            done = await revoke_widget_token(conn, Actor.of_key(who), token_id)
        # This process forgets at once; the others when the trigger's notification reaches
        # them (sql/migrations/0006_widget_cache_notify.sql).
        state.widget_tokens.clear()
        if not done:
            raise NotFound("No such widget token.")
