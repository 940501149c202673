"""The pulse form: its fields, reading a posted one into the API's body, errors in words.

A posted form becomes the same `PulseIn` / `PulsePatch` an API client sends, so one set of
rules (surveys/pulses/rules.py) judges both. What cannot even become a body (a word where a
number goes, an unknown cadence, a date that is no date) is a form error keyed by field, with
its words in texts/pulses.toml. Teams are repeated `team` fields and each item is a choice
(`item:<key>` = core / rotating / empty), so the form reads its fields as lists; CSRF is
checked as for every console form.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qsl
from uuid import UUID

import msgspec
from litestar import Request

from ....errors import InvalidInput
from ....surveys.pulses.models import ItemOut, PulseIn, PulseOut, PulsePatch
from ...sessions import ConsoleSession, CsrfRefused, csrf_ok

FORM_MAX_BYTES = 65_536
MAX_FIELDS = 600
CADENCES = ("weekly", "every_n_weeks", "monthly")
NUMBERS = ("items_per_wave", "cadence_weeks", "open_days", "k", "comment_k")


class PulseForm(msgspec.Struct, kw_only=True):
    """The form's values as the person typed them (strings), to show them again."""

    name: str = ""
    teams: list[str] = msgspec.field(default_factory=list)
    items: dict[str, str] = msgspec.field(default_factory=dict)  # key -> "core" / "rotating"
    items_per_wave: str = "5"
    cadence: str = "every_n_weeks"
    cadence_weeks: str = "2"
    open_days: str = "7"
    k: str = "5"
    comment_k: str = "10"
    reminder_days: str = "3, 5"
    starts_on: str = ""
    starts_time: str = "09:00"
    allow_overlap: bool = False


async def read_fields(
    request: Request[Any, Any, Any], session: ConsoleSession
) -> dict[str, list[str]]:
    """The posted fields, each name with all its values; 403 without this session's token."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    fields: dict[str, list[str]] = {}
    if media == "application/x-www-form-urlencoded" and len(body) <= FORM_MAX_BYTES:
        try:
            pairs = parse_qsl(
                body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS
            )
        except (UnicodeDecodeError, ValueError):
            pairs = []
        for name, value in pairs:
            fields.setdefault(name, []).append(value.replace("\x00", ""))
    token = fields.get("csrf", [""])[-1]
    if not csrf_ok(session, token):
        raise CsrfRefused("The form's token does not match this session.")
    if not fields or len(body) > FORM_MAX_BYTES:
        raise InvalidInput("The form could not be read.")
    return fields


def _one(fields: dict[str, list[str]], name: str, limit: int = 200) -> str:
    return fields.get(name, [""])[-1].strip()[:limit]


def form_of(fields: dict[str, list[str]]) -> PulseForm:
    items = {
        name.removeprefix("item:")[:64]: values[-1]
        for name, values in fields.items()
        if name.startswith("item:") and values[-1] in ("core", "rotating")
    }
    return PulseForm(
        name=_one(fields, "name"),
        teams=[t.strip()[:40] for t in fields.get("team", [])][:200],
        items=items,
        items_per_wave=_one(fields, "items_per_wave", 10),
        cadence=_one(fields, "cadence", 20),
        cadence_weeks=_one(fields, "cadence_weeks", 10),
        open_days=_one(fields, "open_days", 10),
        k=_one(fields, "k", 10),
        comment_k=_one(fields, "comment_k", 10),
        reminder_days=_one(fields, "reminder_days", 60),
        starts_on=_one(fields, "starts_on", 20),
        starts_time=_one(fields, "starts_time", 20),
        allow_overlap=_one(fields, "allow_overlap") == "on",
    )


def form_from_pulse(pulse: PulseOut) -> PulseForm:
    starts = pulse.starts_at.astimezone(UTC)
    return PulseForm(
        name=pulse.name,
        teams=[str(t) for t in pulse.team_ids],
        items={
            **{k: "rotating" for k in pulse.rotating_items},
            **{k: "core" for k in pulse.core_items},
        },
        items_per_wave=str(pulse.items_per_wave),
        cadence=pulse.cadence,
        cadence_weeks=str(pulse.cadence_weeks),
        open_days=str(pulse.open_days),
        k=str(pulse.k),
        comment_k=str(pulse.comment_k),
        reminder_days=", ".join(str(d) for d in pulse.reminder_days),
        starts_on=starts.date().isoformat(),
        starts_time=starts.strftime("%H:%M"),
    )


def new_form(items: list[ItemOut], k: int, comment_k: int, today: date) -> PulseForm:
    """A new pulse's form: the built-in bank's core items and the rest of their dimensions,
    the org's floors as thresholds, starting tomorrow (a first wave in the past would open, and
    email everyone, the minute the pulse is saved)."""
    core_dims = {i.dimension for i in items if i.core}
    chosen = {
        i.key: "core" if i.core else "rotating"
        for i in items
        if i.source == "builtin" and i.dimension in core_dims
    }
    return PulseForm(
        items=chosen,
        k=str(k),
        comment_k=str(comment_k),
        starts_on=(today + timedelta(days=1)).isoformat(),
    )


_FIELD = re.compile(r"`\$\.(\w+)")


def body_of(form: PulseForm, items: list[ItemOut]) -> tuple[dict[str, Any], dict[str, str]]:
    """The API body the form stands for, and the errors (field -> text key) that stop it."""
    errors: dict[str, str] = {}
    body: dict[str, Any] = {"name": form.name, "allow_overlap": form.allow_overlap}
    if not form.name:
        errors["name"] = "pulse_err_name"
    team_ids = []
    for value in form.teams:
        try:
            team_ids.append(str(UUID(value)))
        except ValueError:
            errors["teams"] = "pulse_err_teams"
    if not team_ids:
        errors["teams"] = "pulse_err_teams"
    body["team_ids"] = team_ids
    order = [i.key for i in items]
    known = set(order)
    if set(form.items) - known:
        errors["items"] = "pulse_err_items_unknown"
    body["core_items"] = [k for k in order if form.items.get(k) == "core"]
    body["rotating_items"] = [k for k in order if form.items.get(k) == "rotating"]
    if not body["core_items"]:
        errors["items"] = "pulse_err_items"
    for name in NUMBERS:
        value = getattr(form, name)
        if name == "cadence_weeks" and form.cadence != "every_n_weeks":
            body[name] = None  # the cadence's own default
            continue
        if not value.isdigit() or len(value) > 6:
            errors[name] = f"pulse_err_{name}"
        else:
            body[name] = int(value)
    if form.cadence not in CADENCES:
        errors["cadence"] = "pulse_err_cadence"
    body["cadence"] = form.cadence
    days = [d for d in re.split(r"[\s,;]+", form.reminder_days) if d]
    if not all(d.isdigit() and len(d) <= 3 for d in days):
        errors["reminder_days"] = "pulse_err_reminder_days"
    else:
        body["reminder_days"] = [int(d) for d in days]
    try:
        on = date.fromisoformat(form.starts_on)
        at = time.fromisoformat(form.starts_time or "09:00")
        body["starts_at"] = datetime.combine(on, at.replace(tzinfo=None), tzinfo=UTC)
    except ValueError:
        errors["starts_at"] = "pulse_err_starts_at"
    if not errors:
        try:
            msgspec.convert(body, PulseIn)
        except msgspec.ValidationError as exc:
            found = _FIELD.search(str(exc))
            field = found.group(1) if found else "form"
            field = {"team_ids": "teams", "core_items": "items", "rotating_items": "items"}.get(
                field, field
            )
            known_keys = {"name", "teams", "items", "cadence", "reminder_days", *NUMBERS}
            errors[field] = f"pulse_err_{field}" if field in known_keys else "pulse_err_form"
    return body, errors


def new_body(body: dict[str, Any]) -> PulseIn:
    return msgspec.convert(body, PulseIn)


def patch_body(body: dict[str, Any]) -> PulsePatch:
    return msgspec.convert(body, PulsePatch)
