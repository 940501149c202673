"""Widgets: a team's own trend, embedded where the team works (iframe, web component, badge).

`tokens` mints and checks widget tokens, `admin_api` lets an admin manage them, `embed` serves
the public /embed/v1/ routes, `data` gets every number from `analytics.trends.team_trend()`,
`view` holds what a widget shows in the viewer's language, `svg` and `frame` draw it.
"""

from __future__ import annotations

from .admin_api import WidgetTokenController
from .embed import ROUTES as EMBED_ROUTES

ROUTES: list[object] = [WidgetTokenController, *EMBED_ROUTES]
