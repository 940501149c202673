"""SQL of who leads which team and who is an admin (to be folded into the slice's queries.py)."""

TEAM_LEADERS = """
SELECT p.id, p.email, p.display_name, p.active
FROM team_leaders tl JOIN people p ON p.org_id = tl.org_id AND p.id = tl.person_id
WHERE tl.org_id = $1 AND tl.team_id = $2
ORDER BY lower(p.email), p.id
"""

LIVE_TEAM = """
SELECT archived_at IS NULL FROM teams WHERE org_id = $1 AND id = $2
"""

PEOPLE_OF_ORG = """
SELECT id FROM people WHERE org_id = $1 AND id = ANY ($2::uuid[])
"""

CLEAR_LEADERS = """
DELETE FROM team_leaders WHERE org_id = $1 AND team_id = $2 AND NOT (person_id = ANY ($3::uuid[]))
"""

ADD_LEADERS = """
INSERT INTO team_leaders (org_id, team_id, person_id)
SELECT $1, $2, unnest($3::uuid[])
ON CONFLICT DO NOTHING
"""

SET_ADMIN = """
UPDATE people SET admin = $3, updated_at = now() WHERE org_id = $1 AND id = $2
RETURNING id, admin
"""

PERSON_ROLES = """
SELECT p.id, p.admin,
       ARRAY(SELECT tl.team_id FROM team_leaders tl
             WHERE tl.org_id = p.org_id AND tl.person_id = p.id ORDER BY tl.team_id) AS leads
FROM people p WHERE p.org_id = $1 AND p.id = $2
"""
