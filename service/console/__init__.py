"""The leaders' console: server-rendered pages for the people who lead teams (and admins).

A person signs in with a single-use link sent by mail (`signin`), gets a server-side session
(`sessions`) that yields the same `service.auth.Principal` a leader API key would, and reads the
same guarded analytics (`service.analytics`) as the API: my teams, a team's trend and items, a
heatmap of their subtree, a talk-about-it guide (`guides/`), the team's focus (`focus`) and a
small settings page. `routes` holds the thin handlers, `queries` every SQL statement, `models`
the view Structs each page renders, `charts` the server-drawn SVG, `pages` the HTML rendering.
The console sits above analytics and surveys: neither may import it.
"""
