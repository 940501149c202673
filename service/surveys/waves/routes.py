"""The waves admin API: open a pulse's next wave now, list waves, show one, close one now."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.di import Provide

from ...apidoc import problems
from ...audit import Actor
from ...auth import Principal, provide_principal
from . import listing
from .lifecycle import close_wave, nudge_delivery, open_wave
from .models import WaveOut


class WaveController(Controller):
    path = "/api/v1"
    tags = ["waves"]
    dependencies = {"who": Provide(provide_principal)}

    @post(
        "/pulses/{pulse_id:uuid}/waves",
        description=(
            "Opens the pulse's next wave now instead of waiting for the scheduler: the wave "
            "freezes the team tree, the items and the thresholds, and invitations are sent. 422 "
            "when the pulse is below the org's floors, saying what to change."
        ),
        summary="Open the pulse's next wave now (admin)",
        responses=problems(409, 422),
    )
    async def open_now(self, state: State, who: Principal, pulse_id: UUID) -> WaveOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            wave_id = await open_wave(
                conn,
                who.org_id,
                pulse_id,
                secret=state.settings.secret_key,
                actor=Actor.of_key(who),
            )
            out = await listing.one_wave(conn, who, wave_id)
        await nudge_delivery(state.redis, who.org_id, wave_id)
        return out

    @get(
        "/waves",
        description=(
            "Waves, newest first, optionally of one pulse (`pulse_id`). Admin keys see all; a "
            "leader key sees the waves that touch its teams."
        ),
        summary="Waves, newest first (admin: all; leader: those touching their teams)",
    )
    async def list_waves(
        self, state: State, who: Principal, pulse_id: UUID | None = None
    ) -> list[WaveOut]:
        async with state.pool.acquire() as conn:
            return await listing.list_waves(conn, who, pulse_id)

    @get(
        "/waves/{wave_id:uuid}",
        description=(
            "One wave: its pulse, number, when it opens and closes, its locked thresholds and the"
            " teams it froze when it opened."
        ),
        summary="One wave with its frozen teams",
    )
    async def get_wave(self, state: State, who: Principal, wave_id: UUID) -> WaveOut:
        async with state.pool.acquire() as conn:
            return await listing.one_wave(conn, who, wave_id)

    @post(
        "/waves/{wave_id:uuid}/close",
        description=(
            "Closes an open wave now: answers stop, and results are computed through the "
            "anonymity guard. Calling it again on a closed wave changes nothing."
        ),
        summary="Close an open wave now (admin; idempotent)",
        status_code=200,
    )
    async def close_now(self, state: State, who: Principal, wave_id: UUID) -> WaveOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            await close_wave(
                conn, who.org_id, wave_id, after_close=state.after_close, actor=Actor.of_key(who)
            )
            return await listing.one_wave(conn, who, wave_id)


WAVES: list[Any] = [WaveController]
