"""Widgets: a team's own trend, embedded where the team works (iframe, web component, badge).

`tokens` mints and checks widget tokens, `admin_api` lets an admin manage them, `embed` serves
the public /embed/v1/ routes, `data` gets every number from `analytics.trends.team_trend()`,
`view` holds what a widget shows in the viewer's language, `svg` and `frame` draw it;
`fastpath` answers revalidations (304) in front of the router with the routes' own checks.
"""

from __future__ import annotations

from .admin_api import WidgetTokenController
from .embed import badge, component_js, frame, trend_json

ADMIN: list[object] = [WidgetTokenController]
EMBED: list[object] = [frame, trend_json, badge, component_js]
