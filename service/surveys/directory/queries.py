"""Every SQL statement of the directory slice (teams, people, the CSV import, leaders), by name.

Each statement is written out whole: no column list or clause is pasted in at runtime. Every
one is scoped by `org_id = $1`. "Teams below X" is always the database's team_subtree()
(migration 0007), never a recursive query of its own.
"""

# --- teams -----------------------------------------------------------------------------------

LOCK_DIRECTORY = "SELECT pg_advisory_xact_lock(hashtext('candor-directory:' || $1::uuid::text))"

TEAM_ARCHIVED = "SELECT archived_at IS NOT NULL FROM teams WHERE org_id = $1 AND id = $2"

INSERT_TEAM = """
INSERT INTO teams (org_id, parent_id, name) VALUES ($1, $2, $3)
RETURNING id, name, parent_id, archived_at IS NOT NULL AS archived, created_at, report_with
"""

GET_TEAM = """
SELECT id, name, parent_id, archived_at IS NOT NULL AS archived, created_at, report_with
FROM teams WHERE org_id = $1 AND id = $2
"""

RENAME_TEAM = """
UPDATE teams SET name = $3 WHERE org_id = $1 AND id = $2
RETURNING id, name, parent_id, archived_at IS NOT NULL AS archived, created_at, report_with
"""

# What a "report with" choice is checked against: the team and the chosen one, as they stand.
TEAM_PLACE = """
SELECT id, name, parent_id, archived_at IS NOT NULL AS archived FROM teams
WHERE org_id = $1 AND id = $2
"""

SET_REPORT_WITH = """
UPDATE teams SET report_with = $3 WHERE org_id = $1 AND id = $2
RETURNING id, name, parent_id, archived_at IS NOT NULL AS archived, created_at, report_with
"""

# Would hanging team $2 under $3 close a loop? Only if $3 lies in $2's own subtree.
IS_IN_SUBTREE = """
SELECT EXISTS (
    SELECT 1 FROM team_subtree($1, ARRAY[$2::uuid]) s WHERE s.team_id = $3 AND s.team_id <> $2
)
"""

MOVE_TEAM = """
UPDATE teams SET parent_id = $3 WHERE org_id = $1 AND id = $2
RETURNING id, name, parent_id, archived_at IS NOT NULL AS archived, created_at, report_with
"""

COUNT_LIVE_CHILDREN = """
SELECT count(*) FROM teams WHERE org_id = $1 AND parent_id = $2 AND archived_at IS NULL
"""

COUNT_ACTIVE_MEMBERS = "SELECT count(*) FROM people WHERE org_id = $1 AND team_id = $2 AND active"

ARCHIVE_TEAM = """
UPDATE teams SET archived_at = now() WHERE org_id = $1 AND id = $2
RETURNING id, name, parent_id, archived_at IS NOT NULL AS archived, created_at, report_with
"""

# $2: the teams the caller may see; $3: include archived teams.
LIST_TEAMS_PAGE = """
SELECT id, name, parent_id, archived_at IS NOT NULL AS archived, created_at, report_with,
       count(*) OVER () AS total
FROM teams
WHERE org_id = $1 AND id = ANY($2::uuid[]) AND ($3 OR archived_at IS NULL)
ORDER BY lower(name), id LIMIT $4 OFFSET $5
"""

COUNT_TEAMS = """
SELECT count(*) FROM teams
WHERE org_id = $1 AND id = ANY($2::uuid[]) AND ($3 OR archived_at IS NULL)
"""

LIST_TEAMS = """
SELECT id, name, parent_id, archived_at IS NOT NULL AS archived, created_at, report_with
FROM teams
WHERE org_id = $1 AND id = ANY($2::uuid[]) AND ($3 OR archived_at IS NULL)
"""

# --- people ----------------------------------------------------------------------------------

INSERT_PERSON = """
INSERT INTO people (org_id, email, display_name, locale, team_id, active)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING id, email, display_name, locale, team_id, active, created_at, updated_at
"""

# A partial update: a NULL leaves the column as it is. team_id may itself become NULL (no
# team), so it travels with a flag: $6 says whether to set it, $7 is the new value.
UPDATE_PERSON = """
UPDATE people SET
    email = coalesce($3::text, email),
    display_name = coalesce($4::text, display_name),
    locale = coalesce($5::text, locale),
    team_id = CASE WHEN $6::boolean THEN $7::uuid ELSE team_id END,
    active = coalesce($8::boolean, active),
    updated_at = now()
WHERE org_id = $1 AND id = $2
RETURNING id, email, display_name, locale, team_id, active, created_at, updated_at
"""

GET_PERSON = """
SELECT id, email, display_name, locale, team_id, active, created_at, updated_at
FROM people WHERE org_id = $1 AND id = $2
"""

# $2: only this team (NULL: any); $3: only active or inactive people (NULL: both).
LIST_PEOPLE = """
SELECT id, email, display_name, locale, team_id, active, created_at, updated_at
FROM people
WHERE org_id = $1 AND ($2::uuid IS NULL OR team_id = $2) AND ($3::bool IS NULL OR active = $3)
ORDER BY lower(email), id LIMIT $4 OFFSET $5
"""

COUNT_PEOPLE = """
SELECT count(*) FROM people
WHERE org_id = $1 AND ($2::uuid IS NULL OR team_id = $2) AND ($3::bool IS NULL OR active = $3)
"""

# --- the CSV import --------------------------------------------------------------------------

ORG_EXISTS = "SELECT EXISTS (SELECT 1 FROM orgs WHERE id = $1)"

IMPORT_TEAMS = """
SELECT id, parent_id, name, archived_at IS NOT NULL AS archived FROM teams WHERE org_id = $1
"""

IMPORT_INSERT_TEAM = "INSERT INTO teams (org_id, parent_id, name) VALUES ($1, $2, $3) RETURNING id"

CREATE_IMPORT_TABLE = """
CREATE TEMP TABLE people_import (
    line int, email text, email_key text, display_name text, locale text, team_id uuid, active bool
) ON COMMIT DROP
"""

# JIT compilation would cost more (about a second at 10,000 rows) than these short set-based
# statements ever run.
IMPORT_NO_JIT = "SET LOCAL jit = off"

IMPORT_COUNTS = """
WITH joined AS (
    SELECT i.*, p.id AS pid, p.active AS was_active,
           (p.email, p.display_name, p.locale, p.team_id, p.active) IS DISTINCT FROM
           (i.email, i.display_name, coalesce(i.locale, p.locale), coalesce(i.team_id, p.team_id),
            coalesce(i.active, p.active)) AS changed
    FROM people_import i
    LEFT JOIN people p ON p.org_id = $1 AND lower(p.email) = i.email_key
)
SELECT
    count(*) FILTER (WHERE pid IS NULL) AS created,
    count(*) FILTER (WHERE pid IS NOT NULL AND was_active AND i_active_false) AS deactivated,
    count(*) FILTER (WHERE pid IS NOT NULL AND changed
                     AND NOT (was_active AND i_active_false)) AS updated,
    count(*) FILTER (WHERE pid IS NOT NULL AND NOT changed) AS unchanged
FROM (SELECT *, coalesce(active, true) = false AS i_active_false FROM joined) j
"""

# Active people of the org whom the file does not mention.
IMPORT_COUNT_MISSING = """
SELECT count(*) FROM people p
WHERE p.org_id = $1 AND p.active
  AND NOT EXISTS (SELECT 1 FROM people_import i WHERE i.email_key = lower(p.email))
"""

IMPORT_DEACTIVATE_MISSING = """
UPDATE people p SET active = false, updated_at = now()
WHERE p.org_id = $1 AND p.active
  AND NOT EXISTS (SELECT 1 FROM people_import i WHERE i.email_key = lower(p.email))
"""

IMPORT_UPDATE = """
UPDATE people p
SET email = i.email, display_name = i.display_name, locale = coalesce(i.locale, p.locale),
    team_id = coalesce(i.team_id, p.team_id), active = coalesce(i.active, p.active),
    updated_at = now()
FROM people_import i
WHERE p.org_id = $1 AND lower(p.email) = i.email_key
  AND (p.email, p.display_name, p.locale, p.team_id, p.active) IS DISTINCT FROM
      (i.email, i.display_name, coalesce(i.locale, p.locale), coalesce(i.team_id, p.team_id),
       coalesce(i.active, p.active))
"""

IMPORT_INSERT = """
INSERT INTO people (org_id, email, display_name, locale, team_id, active)
SELECT $1, i.email, i.display_name, coalesce(i.locale, 'en'), i.team_id, coalesce(i.active, true)
FROM people_import i
WHERE NOT EXISTS (SELECT 1 FROM people p WHERE p.org_id = $1 AND lower(p.email) = i.email_key)
ORDER BY i.line
"""

# Who leads which team, and who is an admin (leaders.py).

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

# --- the import's `leads` column: (person, team) pairs the file marks as leaders --------------

CREATE_IMPORT_LEADS_TABLE = """
CREATE TEMP TABLE people_import_leads (
    line int, email text, email_key text, team_ref text, team_id uuid
) ON COMMIT DROP
"""

# Pairs the file names that are not yet leaders (people created by the file count as new).
IMPORT_NEW_LEADS = """
SELECT l.line, l.email, l.team_ref FROM people_import_leads l
WHERE NOT EXISTS (
    SELECT 1 FROM team_leaders tl JOIN people p ON p.org_id = tl.org_id AND p.id = tl.person_id
    WHERE tl.org_id = $1 AND tl.team_id = l.team_id AND lower(p.email) = l.email_key
)
ORDER BY l.line, l.team_ref
LIMIT $2
"""

IMPORT_COUNT_NEW_LEADS = """
SELECT count(*) FROM people_import_leads l
WHERE NOT EXISTS (
    SELECT 1 FROM team_leaders tl JOIN people p ON p.org_id = tl.org_id AND p.id = tl.person_id
    WHERE tl.org_id = $1 AND tl.team_id = l.team_id AND lower(p.email) = l.email_key
)
"""

IMPORT_ADD_LEADS = """
INSERT INTO team_leaders (org_id, team_id, person_id)
SELECT $1, l.team_id, p.id
FROM people_import_leads l JOIN people p ON p.org_id = $1 AND lower(p.email) = l.email_key
ON CONFLICT DO NOTHING
"""

# --- a dry run's diff, person by person (the admin console's preview page) ---------------------

IMPORT_DIFF = """
SELECT i.line, i.email, i.display_name,
       CASE WHEN p.id IS NULL THEN 'created'
            WHEN p.active AND i.active IS FALSE THEN 'deactivated'
            ELSE 'changed' END AS kind,
       p.id IS NOT NULL AND p.email IS DISTINCT FROM i.email AS email_changed,
       p.id IS NOT NULL AND p.display_name IS DISTINCT FROM i.display_name AS name_changed,
       p.id IS NOT NULL AND p.locale IS DISTINCT FROM coalesce(i.locale, p.locale)
           AS locale_changed,
       p.id IS NOT NULL AND p.team_id IS DISTINCT FROM coalesce(i.team_id, p.team_id)
           AS team_changed,
       p.id IS NOT NULL AND p.active IS DISTINCT FROM coalesce(i.active, p.active)
           AS active_changed
FROM people_import i
LEFT JOIN people p ON p.org_id = $1 AND lower(p.email) = i.email_key
WHERE p.id IS NULL
   OR (p.email, p.display_name, p.locale, p.team_id, p.active) IS DISTINCT FROM
      (i.email, i.display_name, coalesce(i.locale, p.locale), coalesce(i.team_id, p.team_id),
       coalesce(i.active, p.active))
ORDER BY i.line
LIMIT $2
"""

IMPORT_LIST_MISSING = """
SELECT p.email, p.display_name FROM people p
WHERE p.org_id = $1 AND p.active
  AND NOT EXISTS (SELECT 1 FROM people_import i WHERE i.email_key = lower(p.email))
ORDER BY lower(p.email), p.id
LIMIT $2
"""
