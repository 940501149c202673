"""SQL of the admin console's org pages (chart, team page, people search), by name.

Every statement is scoped by `org_id = $1`. Changes never run here: they go through the
directory slice's functions, which check and audit them.
"""

# Live teams with their own active people and their leaders' names (the org chart).
CHART_TEAMS = """
SELECT t.id, t.name, t.parent_id, t.report_with,
       (SELECT count(*) FROM people p
        WHERE p.org_id = t.org_id AND p.team_id = t.id AND p.active) AS headcount,
       ARRAY(SELECT p.display_name FROM team_leaders tl
             JOIN people p ON p.org_id = tl.org_id AND p.id = tl.person_id
             WHERE tl.org_id = t.org_id AND tl.team_id = t.id
             ORDER BY lower(p.display_name), p.id) AS leaders
FROM teams t
WHERE t.org_id = $1 AND t.archived_at IS NULL
"""

COUNT_ACTIVE_PEOPLE = "SELECT count(*) FROM people WHERE org_id = $1 AND active"

TEAM_MEMBERS = """
SELECT id, email, display_name, active, admin FROM people
WHERE org_id = $1 AND team_id = $2
ORDER BY NOT active, lower(display_name), id
LIMIT 500
"""

# People whose name or email holds $2 (case-insensitive; strpos, so % and _ are plain text).
SEARCH_PEOPLE = """
SELECT p.id, p.email, p.display_name, p.locale, p.team_id, p.active, p.admin, t.name AS team,
       count(*) OVER () AS total
FROM people p LEFT JOIN teams t ON t.org_id = p.org_id AND t.id = p.team_id
WHERE p.org_id = $1
  AND ($2 = '' OR strpos(lower(p.display_name), lower($2)) > 0
       OR strpos(lower(p.email), lower($2)) > 0)
ORDER BY lower(p.display_name), p.id
LIMIT $3 OFFSET $4
"""

PERSON_ADMIN = "SELECT admin FROM people WHERE org_id = $1 AND id = $2"

PERSON_BY_EMAIL = "SELECT id FROM people WHERE org_id = $1 AND lower(email) = lower($2)"

PERSON_ROLE_BY_EMAIL = """
SELECT id, admin, display_name, email FROM people WHERE org_id = $1 AND lower(email) = lower($2)
"""
