"""The org chart's CSV import in the console: upload, a dry-run diff, apply, the result.

Every check and every write is the directory's importer (`preview_import`, `import_people`),
exactly as POST /api/v1/people/import runs it, audited the same way with the person as actor.
Between the preview and the apply, the uploaded file waits in Redis under a random id for
30 minutes, bound to the org and the person who uploaded it, and is taken (read and deleted
in one step) by the apply: a file can be applied once, by its uploader, and only as previewed.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.exceptions import HTTPException

from ...errors import CandorError, PayloadTooLarge
from ...guard import ADMIN_ONLY, NOT_ABOUT_ANSWERS
from ...surveys.directory.importer import import_people, preview_import
from ...surveys.directory.models import ImportChanges, ImportReport
from ..forms import checked_form
from ..models import Page
from ..pages import PAGE_RESPONSES, page_of, render
from ..sessions import ConsoleSession, CsrfRefused, csrf_ok
from .access import actor_of
from .home import ADMIN

MAX_UPLOAD_BYTES = 4 * 1_048_576  # about 40,000 people; larger files go through the API or CLI
KEEP_SECONDS = 30 * 60
_KEY = "candor:admin-import:{org}:{id}"


class RowProblem(msgspec.Struct, frozen=True):
    line: Annotated[int, NOT_ABOUT_ANSWERS]
    column: str | None
    reason: str


class ImportView(msgspec.Struct, frozen=True):
    page: Page
    error: str | None = None  # a text key: why the upload was not read
    detail: str | None = None  # the importer's own words, when it has them
    problems: list[RowProblem] = []
    report: ImportReport | None = None
    changes: ImportChanges | None = None
    upload: str | None = None  # the stored file's id, for the apply form
    file_name: str = ""
    create_teams: bool = True
    deactivate_missing: bool = False
    total_problems: Annotated[int, ADMIN_ONLY] = 0


class _Pending(msgspec.Struct, frozen=True):
    person_id: UUID
    file_name: str
    create_teams: bool
    deactivate_missing: bool
    data: bytes


async def _store(redis: Any, session: ConsoleSession, pending: _Pending) -> str:
    upload = secrets.token_urlsafe(24)
    key = _KEY.format(org=session.org_id, id=upload)
    await redis.set(key, msgspec.msgpack.encode(pending), ex=KEEP_SECONDS)
    return upload


async def _take(redis: Any, session: ConsoleSession, upload: str) -> _Pending | None:
    """The stored upload, deleted as it is read; None when unknown, expired or someone else's."""
    if not upload or len(upload) != 32 or not upload.replace("-", "").replace("_", "").isalnum():
        return None
    key = _KEY.format(org=session.org_id, id=upload)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.get(key)
        pipe.delete(key)
        raw, _ = await pipe.execute()
    if raw is None:
        return None
    pending = msgspec.msgpack.decode(raw, type=_Pending)
    return pending if pending.person_id == session.person_id else None


def _page(request: Request[Any, Any, State], session: ConsoleSession) -> Page:
    return page_of(session, request, "admin")


def _refused(view: ImportView, exc: CandorError) -> Response[bytes]:
    problems = [
        RowProblem(int(e.get("line") or 0), e.get("column"), str(e.get("reason", "")))
        for e in (exc.errors or [])
        if isinstance(e, dict)
    ]
    bad = msgspec.structs.replace(
        view,
        error="orgimport_refused" if problems else "orgimport_unreadable",
        detail=exc.detail,
        problems=problems,
        total_problems=len(problems),
    )
    return render("admin/org_import.html", view.page.lang, status=exc.status, v=bad)


@get(
    "/admin/org/import",
    opt={"view": ImportView},
    dependencies=ADMIN,
    summary="Upload a people CSV (HTML form; admin persons only)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
)
async def import_form(
    request: Request[Any, Any, State], session: ConsoleSession
) -> Response[bytes]:
    view = ImportView(page=_page(request, session))
    return render("admin/org_import.html", view.page.lang, v=view)


@post(
    "/admin/org/import",
    opt={"view": ImportView},
    dependencies=ADMIN,
    summary="Check an uploaded people CSV: the dry-run diff (multipart form)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
    status_code=200,
    request_max_body_size=MAX_UPLOAD_BYTES + 65_536,
)
async def import_check(
    request: Request[Any, Any, State], state: State, session: ConsoleSession
) -> Response[bytes]:
    view = ImportView(page=_page(request, session))
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if media != "multipart/form-data":
            raise HTTPException(status_code=400)
        form = await request.form()
    except HTTPException as exc:
        if exc.status_code == 413:
            return _upload_error(view, "orgimport_too_large", 413)
        # An unreadable form carries no readable token either: refuse it as a bad form.
        raise CsrfRefused("The upload form could not be read.") from None
    if not csrf_ok(session, _text(form.get("csrf"))):
        raise CsrfRefused("The form's token does not match this session.")
    upload = form.get("file")
    create_teams = _text(form.get("create_teams")) == "on"
    deactivate_missing = _text(form.get("deactivate_missing")) == "on"
    view = msgspec.structs.replace(
        view, create_teams=create_teams, deactivate_missing=deactivate_missing
    )
    if not isinstance(upload, UploadFile):
        return _upload_error(view, "orgimport_no_file", 400)
    data = await upload.read()
    name = (upload.filename or "")[-120:]
    view = msgspec.structs.replace(view, file_name=name)
    if not data:
        return _upload_error(view, "orgimport_no_file", 400)
    if len(data) > MAX_UPLOAD_BYTES:
        return _upload_error(view, "orgimport_too_large", 413)
    async with state.pool.acquire() as conn:
        try:
            report, changes = await preview_import(
                conn,
                session.org_id,
                data,
                create_teams=create_teams,
                deactivate_missing=deactivate_missing,
                actor=actor_of(session),
            )
        except CandorError as exc:
            return _refused(view, exc)
    pending = _Pending(session.person_id, name, create_teams, deactivate_missing, data)
    stored = await _store(state.redis, session, pending)
    view = msgspec.structs.replace(view, report=report, changes=changes, upload=stored)
    return render("admin/org_import.html", view.page.lang, v=view)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _upload_error(view: ImportView, key: str, status: int) -> Response[bytes]:
    bad = msgspec.structs.replace(view, error=key)
    return render("admin/org_import.html", view.page.lang, status=status, v=bad)


@post(
    "/admin/org/import/apply",
    opt={"view": ImportView},
    dependencies=ADMIN,
    summary="Apply a checked people CSV (form)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
    status_code=200,
)
async def import_apply(
    request: Request[Any, Any, State], state: State, session: ConsoleSession
) -> Response[bytes]:
    fields = await checked_form(request, session)
    view = ImportView(page=_page(request, session))
    pending = await _take(state.redis, session, fields.get("upload", ""))
    if pending is None:
        return _upload_error(view, "orgimport_expired", 409)
    view = msgspec.structs.replace(
        view,
        file_name=pending.file_name,
        create_teams=pending.create_teams,
        deactivate_missing=pending.deactivate_missing,
    )
    async with state.pool.acquire() as conn:
        try:
            report = await import_people(
                conn,
                session.org_id,
                pending.data,
                create_teams=pending.create_teams,
                deactivate_missing=pending.deactivate_missing,
                actor=actor_of(session),
            )
        except PayloadTooLarge:
            return _upload_error(view, "orgimport_too_large", 413)
        except CandorError as exc:
            return _refused(view, exc)
    done = msgspec.structs.replace(view, report=report)
    return render("admin/org_import_done.html", view.page.lang, v=done)
