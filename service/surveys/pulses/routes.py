"""The pulses slice's HTTP routes: items and instruments, pulses; mounted by service/app.py.

Handlers only check who may call them, parse, call items.py / programs.py / preview.py and
return what those give back. Admin keys manage items and pulses; leader keys read items and
the pulses that reach into their subtrees.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, get, patch, post
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import Parameter

from ...apidoc import problems
from ...audit import Actor
from ...auth import Principal, provide_principal
from . import items, preview, programs
from .models import (
    DraftPreview,
    InstrumentIn,
    ItemIn,
    ItemOut,
    PulseActivate,
    PulseIn,
    PulseOut,
    PulsePatch,
    PulsePreview,
    PulseSaved,
    ScheduledWave,
)


class QuestionController(Controller):
    path = "/api/v1"
    tags = ["items"]
    dependencies = {"who": Provide(provide_principal)}

    @get(
        "/items",
        description=(
            "The org's question bank: Candor's built-in items and the org's own, optionally of "
            "one `dimension`; retired items only with `include_retired=true`. Each item has its "
            "texts in English and Dutch, its scale and whether it is reverse-keyed or a "
            "dimension's core item."
        ),
        summary="The org's items (filter by dimension)",
    )
    async def list_items(
        self,
        state: State,
        who: Principal,
        dimension: str | None = None,
        include_retired: bool = False,
    ) -> list[ItemOut]:
        return await items.list_items(
            state.pool, who.org_id, dimension=dimension, include_retired=include_retired
        )

    @get(
        "/items/{key:str}",
        description=("One item of the question bank, by its key."),
        summary="One item",
    )
    async def get_item(self, state: State, who: Principal, key: str) -> ItemOut:
        return await items.get_item(state.pool, who.org_id, key[:64])

    @post(
        "/items",
        description=(
            "Adds an item of the org's own. Keys are lowercase, stable forever and may not use a "
            "built-in prefix (`ps.`, `su.`, `tr.`, `le.`); 409 when the key exists. A scale has 2"
            " to 11 points; both English and Dutch text are required."
        ),
        summary="Add an item of the org's own (admin)",
        responses=problems(409),
    )
    async def add_item(self, state: State, who: Principal, data: ItemIn) -> ItemOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            added = await items.add_items(
                conn, who.org_id, [data], data.instrument, actor=Actor.of_key(who)
            )
        return added[0]

    @post(
        "/instruments",
        description=(
            "Adds a whole instrument at once, all or nothing: for example a licensed validated "
            "scale. Every item follows the rules of POST /items. Only load wording the org has "
            "the right to use."
        ),
        summary="Add a whole instrument (e.g. a licensed scale) at once (admin)",
        responses=problems(409),
    )
    async def add_instrument(
        self, state: State, who: Principal, data: InstrumentIn
    ) -> list[ItemOut]:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await items.add_items(
                conn, who.org_id, list(data.items), data.name, actor=Actor.of_key(who)
            )

    @post(
        "/items/{key:str}/retire",
        description=(
            "Stops using an item. Refused (409) while an active pulse asks it; the key stays, so "
            "past results stay readable."
        ),
        summary="Retire an item (admin)",
        status_code=200,
        responses=problems(409),
    )
    async def retire(self, state: State, who: Principal, key: str) -> ItemOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await items.retire_item(conn, who.org_id, key[:64], actor=Actor.of_key(who))


class PulseController(Controller):
    path = "/api/v1/pulses"
    tags = ["pulses"]
    dependencies = {"who": Provide(provide_principal)}

    @post(
        "",
        summary="Create a pulse (admin)",
        responses=problems(409, 422),
        description=(
            "The answer is the pulse plus `warnings`: groups of its teams that can never be "
            "reported (e.g. a pulse aimed only at a team smaller than k) and 'report with' "
            "choices that do not fit. The pulse is created either way. A pulse that would "
            "invite people already in another active pulse of the org is refused with 409 "
            "(the problem's `errors` name each such pulse and how many people it shares) "
            'unless the body says `"allow_overlap": true`.'
        ),
    )
    async def create(self, state: State, who: Principal, data: PulseIn) -> PulseSaved:
        who.require_admin()
        async with state.pool.acquire() as conn:
            pulse = await programs.create_pulse(conn, who.org_id, data, actor=Actor.of_key(who))
            return await preview.with_warnings(conn, who.org_id, pulse)

    @post(
        "/preview",
        summary="What saving this pulse body would do, without saving it (admin)",
        status_code=200,
        responses=problems(422),
        description=(
            "Takes the body of creating a pulse and checks it by the same rules (the same 400 "
            "or 422), then answers from today's tree and people: who would be invited (in "
            "total and per team), the groups its waves would report (on their own, pooled, "
            "never) with a reason each, the teams that could never report, the other active "
            "pulses that already invite some of the same people, and when the first wave "
            "would open. Nothing is stored."
        ),
    )
    async def preview_body(self, state: State, who: Principal, data: PulseIn) -> DraftPreview:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await preview.preview_draft(conn, who.org_id, data)

    @get(
        "",
        description=(
            "The org's pulses, optionally only active or inactive ones (`active`). A leader key "
            "sees the pulses that reach its teams."
        ),
        summary="List pulses (leaders: those reaching their teams)",
    )
    async def list_pulses(
        self, state: State, who: Principal, active: bool | None = None
    ) -> list[PulseOut]:
        async with state.pool.acquire() as conn:
            return await programs.list_pulses(conn, who, active)

    @get(
        "/{pulse_id:uuid}",
        description=(
            "One pulse: its teams, items, cadence, open window, reminders, thresholds and whether"
            " it is active."
        ),
        summary="One pulse",
    )
    async def get_one(self, state: State, who: Principal, pulse_id: UUID) -> PulseOut:
        async with state.pool.acquire() as conn:
            return await programs.show_pulse(conn, who, pulse_id)

    @get(
        "/{pulse_id:uuid}/schedule",
        description=(
            "When the pulse's next waves open (`waves` of them) and which items each one asks: "
            "the core items every time, plus a rotating window that moves on each wave."
        ),
        summary="The next waves: when they open and what they ask",
    )
    async def schedule(
        self,
        state: State,
        who: Principal,
        pulse_id: UUID,
        waves: Annotated[int, Parameter(ge=1, le=52)] = 6,
    ) -> list[ScheduledWave]:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await programs.plan_waves(conn, who.org_id, pulse_id, waves)

    @get(
        "/{pulse_id:uuid}/preview",
        summary="The groups the next wave would report, and why (admin)",
        description=(
            "From today's tree (the pulse's subtrees, live teams), today's people (active, not "
            "opted out) and each team's 'report with' choice, with the pulse's k: which groups "
            "report on their own, which small teams are reported together with another group "
            "(with the group's name and parts), which can never report, each with a reason in "
            "words, and how many people the wave would invite. A wave freezes its own groups "
            "when it opens."
        ),
    )
    async def preview_groups(self, state: State, who: Principal, pulse_id: UUID) -> PulsePreview:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await preview.preview_pulse(conn, who.org_id, pulse_id)

    @patch(
        "/{pulse_id:uuid}",
        summary="Change a pulse (admin); waves already opened keep their settings",
        responses=problems(409, 422),
        description=(
            "The answer carries `warnings` as for creating a pulse. New teams for an active "
            "pulse that reach people already in another active pulse are refused with 409 "
            'unless the body says `"allow_overlap": true`.'
        ),
    )
    async def update(
        self, state: State, who: Principal, pulse_id: UUID, data: PulsePatch
    ) -> PulseSaved:
        who.require_admin()
        async with state.pool.acquire() as conn:
            pulse = await programs.update_pulse(
                conn, who.org_id, pulse_id, data, actor=Actor.of_key(who)
            )
            return await preview.with_warnings(conn, who.org_id, pulse)

    @post(
        "/{pulse_id:uuid}/deactivate",
        description=(
            "Stops the pulse: the scheduler opens no more waves for it. A wave already open stays"
            " open until it closes."
        ),
        summary="Stop a pulse from opening waves (admin)",
        status_code=200,
    )
    async def deactivate(self, state: State, who: Principal, pulse_id: UUID) -> PulseOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await programs.deactivate_pulse(
                conn, who.org_id, pulse_id, actor=Actor.of_key(who)
            )

    @post(
        "/{pulse_id:uuid}/activate",
        summary="Resume a deactivated pulse at its next slot (admin)",
        status_code=200,
        responses=problems(409, 422),
        description=(
            "Resumes a deactivated pulse at its next slot from now. Its teams, items and "
            "thresholds are checked again against today's directory and the org's floors. "
            "Refused with 409 when another active pulse already invites some of its people, "
            'unless the (otherwise optional) body says `{"allow_overlap": true}`.'
        ),
    )
    async def activate(
        self, state: State, who: Principal, pulse_id: UUID, data: PulseActivate | None = None
    ) -> PulseOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await programs.activate_pulse(
                conn,
                who.org_id,
                pulse_id,
                actor=Actor.of_key(who),
                allow_overlap=data is not None and data.allow_overlap,
            )


ITEMS: list[Any] = [QuestionController]
PULSES: list[Any] = [PulseController]
