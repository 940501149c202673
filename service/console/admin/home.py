"""The admin console's front page: where each admin area is, in words."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.di import Provide

from ..models import Page
from ..pages import PAGE_RESPONSES, page_of, render
from ..sessions import ConsoleSession
from .access import provide_admin_session

ADMIN = {"session": Provide(provide_admin_session)}


class AdminHomeView(msgspec.Struct, frozen=True):
    page: Page
    # (path, title text key, hint text key) of each admin area that exists
    areas: list[tuple[str, str, str]]


# Areas register here as they are built: (path, title key, hint key) in console/texts.toml.
AREAS: list[tuple[str, str, str]] = [
    ("/console/admin/org", "org_area", "org_area_hint"),
    ("/console/admin/people", "people_area", "people_area_hint"),
]
AREAS.append(("/console/admin/pulses", "pulses_area", "pulses_area_hint"))
AREAS.append(("/console/admin/waves", "admin_waves_area", "admin_waves_area_hint"))
AREAS += [(f"/console/admin/{a}", f"{a}_title", f"{a}_hint") for a in ("keys", "widgets", "audit")]


@get(
    "/admin",
    opt={"view": AdminHomeView},
    dependencies=ADMIN,
    summary="The admin console's front page (HTML; admin persons only)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
)
async def admin_home(request: Request[Any, Any, State], session: ConsoleSession) -> Response[bytes]:
    view = AdminHomeView(page=page_of(session, request, "admin"), areas=list(AREAS))
    return render("admin/home.html", view.page.lang, v=view)
