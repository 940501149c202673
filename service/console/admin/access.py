"""Who may use the admin console: a signed-in person with the admin flag, nobody else."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State

from ...audit import Actor
from ...errors import NotFound
from ..sessions import ConsoleSession, provide_session


async def provide_admin_session(request: Request[Any, Any, State], state: State) -> ConsoleSession:
    """Litestar dependency of every admin page: the session of an admin person (a redirect to
    sign in without a session; a 404 page for a person who is not an admin, as for a page that
    does not exist)."""
    session = await provide_session(request, state)
    if not session.admin:
        raise NotFound("No such page.")
    return session


def actor_of(session: ConsoleSession) -> Actor:
    """The audit log's actor for a change made in the admin console: the person."""
    return Actor.of_person(session.org_id, session.person_id)
