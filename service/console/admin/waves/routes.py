"""The waves pages: the list (with "Open now" per active pulse), one wave with its delivery
progress, and the confirmation page before closing a wave.

"Open now" is POST /api/v1/pulses/{id}/waves and "Close now" POST /api/v1/waves/{id}/close,
through the same service functions; a refusal (a paused pulse, a wave already open, thresholds
below the floors) is the list again with the reason in words, and changes nothing.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import State

from ....errors import CandorError, NotFound
from ....surveys.delivery import DeliveryStatus, delivery_status
from ....surveys.pulses import items as item_store
from ....surveys.pulses import programs
from ....surveys.waves import WaveOut, close_wave, list_waves, nudge_delivery, one_wave, open_wave
from ... import i18n
from ...forms import checked_form
from ...models import Page
from ...pages import HEADERS, PAGE_RESPONSES, page_of, render
from ...sessions import ConsoleSession
from .. import words
from ..access import actor_of
from ..home import ADMIN
from ..words import refusal


class WaveRow(msgspec.Struct, frozen=True):
    wave: WaveOut
    pulse: str
    opens_on: str
    closes_on: str
    closed_on: str | None


class PulseChoice(msgspec.Struct, frozen=True):
    id: UUID
    name: str
    open_wave: UUID | None  # the pulse's wave that is open now, if any


class WavesView(msgspec.Struct, frozen=True):
    page: Page
    waves: list[WaveRow]
    pulses: list[PulseChoice]  # active pulses, for "Open now"
    problem: str = ""


class WaveView(msgspec.Struct, frozen=True):
    page: Page
    row: WaveRow
    delivery: DeliveryStatus
    notice: str = ""  # "opened" / "closed" after the action
    items: list[tuple[str, str]] = []  # (key, wording in the reader's language) asked
    groups: list[str] = []  # each progress group's name in the reader's language, in order


def wave_uuid(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise NotFound("No such wave.") from None


def _row(w: WaveOut, pulses: dict[UUID, str], lang: str) -> WaveRow:
    return WaveRow(
        wave=w,
        pulse=pulses.get(w.pulse_id, "?"),
        opens_on=i18n.day(w.opens_at.date(), lang),
        closes_on=i18n.day(w.closes_at.date(), lang),
        closed_on=i18n.day(w.closed_at.date(), lang) if w.closed_at else None,
    )


def _group_names(delivery: DeliveryStatus, lang: str) -> list[str]:
    """Each reporting group's name in the reader's language (the plan stores English)."""
    return [words.group_name(g.parts, lang) or g.group for g in delivery.progress or []]


def _see_other(location: str) -> Response[bytes]:
    return Response(
        b"", status_code=303, media_type="text/html", headers={**HEADERS, "Location": location}
    )


async def _waves_view(
    conn: Any, request: Request[Any, Any, State], session: ConsoleSession, problem: str = ""
) -> WavesView:
    page = page_of(session, request, "admin")
    who = session.principal
    pulses = await programs.list_pulses(conn, who, None)
    names = {p.id: p.name for p in pulses}
    waves = await list_waves(conn, who, None)
    open_by_pulse = {w.pulse_id: w.id for w in waves if w.state == "open"}
    return WavesView(
        page=page,
        waves=[_row(w, names, page.lang) for w in waves],
        pulses=[PulseChoice(p.id, p.name, open_by_pulse.get(p.id)) for p in pulses if p.active],
        problem=problem,
    )


@get(
    "/admin/waves",
    opt={"view": WavesView},
    dependencies=ADMIN,
    summary="Every wave with its state, and opening a pulse's next wave (HTML; admin persons)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
)
async def waves_page(
    request: Request[Any, Any, State], state: State, session: ConsoleSession
) -> Response[bytes]:
    async with state.pool.acquire() as conn:
        view = await _waves_view(conn, request, session)
    return render("admin/waves.html", view.page.lang, v=view)


@post(
    "/admin/waves/open",
    opt={"view": WavesView},
    dependencies=ADMIN,
    summary="Open a pulse's next wave now (form; admin persons only)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
    status_code=200,
)
async def open_now(
    request: Request[Any, Any, State], state: State, session: ConsoleSession
) -> Response[bytes]:
    fields = await checked_form(request, session)
    try:
        pulse_id = UUID(fields.get("pulse", ""))
    except ValueError:
        raise NotFound("No such pulse.") from None
    async with state.pool.acquire() as conn:
        await programs.get_pulse(conn, session.org_id, pulse_id)  # another org's: 404
        try:
            wave_id = await open_wave(
                conn,
                session.org_id,
                pulse_id,
                secret=state.settings.secret_key,
                actor=actor_of(session),
            )
        except CandorError as exc:
            lang = i18n.pick(session.locale)
            view = await _waves_view(conn, request, session, problem=refusal(exc, lang))
            return render("admin/waves.html", view.page.lang, status=exc.status, v=view)
    await nudge_delivery(state.redis, session.org_id, wave_id)
    return _see_other(f"/console/admin/waves/{wave_id}?opened=1")


async def _wave_row(conn: Any, session: ConsoleSession, wave_id: UUID, lang: str) -> WaveRow:
    wave = await one_wave(conn, session.principal, wave_id)
    pulse = await programs.get_pulse(conn, session.org_id, wave.pulse_id)
    return _row(wave, {pulse.id: pulse.name}, lang)


@get(
    "/admin/waves/{wave_id:str}",
    opt={"view": WaveView},
    dependencies=ADMIN,
    summary="One wave: its state, dates and delivery progress (HTML; admin persons only)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
)
async def wave_page(
    request: Request[Any, Any, State], state: State, session: ConsoleSession, wave_id: str
) -> Response[bytes]:
    page = page_of(session, request, "admin")
    wid = wave_uuid(wave_id)
    async with state.pool.acquire() as conn:
        row = await _wave_row(conn, session, wid, page.lang)
        delivery = await delivery_status(conn, session.principal, wid)
        bank = await item_store.list_items(
            conn, session.org_id, dimension=None, include_retired=True
        )
    words = {i.key: i.texts.get(page.lang) or i.texts.get("en", "") for i in bank}
    items = [(k, words.get(k, "")) for k in row.wave.item_keys]
    q = request.query_params
    notice = "opened" if "opened" in q else "closed" if "closed" in q else ""
    view = WaveView(
        page=page,
        row=row,
        delivery=delivery,
        notice=notice,
        items=items,
        groups=_group_names(delivery, page.lang),
    )
    return render("admin/wave.html", page.lang, v=view)


@get(
    "/admin/waves/{wave_id:str}/close",
    opt={"view": WaveView},
    dependencies=ADMIN,
    summary="What closing a wave does, and the button that does it (HTML; admin persons only)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
)
async def close_page(
    request: Request[Any, Any, State], state: State, session: ConsoleSession, wave_id: str
) -> Response[bytes]:
    page = page_of(session, request, "admin")
    wid = wave_uuid(wave_id)
    async with state.pool.acquire() as conn:
        row = await _wave_row(conn, session, wid, page.lang)
        delivery = await delivery_status(conn, session.principal, wid)
    view = WaveView(page=page, row=row, delivery=delivery)
    return render("admin/wave_close.html", page.lang, v=view)


@post(
    "/admin/waves/{wave_id:str}/close",
    opt={"view": None},
    dependencies=ADMIN,
    summary="Close an open wave now (form; admin persons only)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
    status_code=200,
)
async def close_now(
    request: Request[Any, Any, State], state: State, session: ConsoleSession, wave_id: str
) -> Response[bytes]:
    await checked_form(request, session)
    wid = wave_uuid(wave_id)
    async with state.pool.acquire() as conn:
        await close_wave(
            conn, session.org_id, wid, after_close=state.after_close, actor=actor_of(session)
        )
    return _see_other(f"/console/admin/waves/{wid}?closed=1")


HANDLERS: list[Any] = [waves_page, open_now, wave_page, close_page, close_now]
