"""Every SQL statement of the console, as named constants (no SQL anywhere else in the slice).

Numbers a page shows never come from here: they come from `service.analytics` through the
guard. These statements read and write the console's own tables (sessions, sign-in links,
console mail, preferences, team focus) and a few facts that are not about respondents (team
names, item wording, a wave's dates and thresholds, the next wave's date).
"""

# --- sessions --------------------------------------------------------------------------------

INSERT_SESSION = """
INSERT INTO console_sessions (org_id, id_hash, person_id, csrf_secret, created_at,
                              last_seen_at, idle_expires_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $5, $6, $7)
"""

# One round trip per page: the live session, its person and roles, its idle expiry moved on
# (at most once a minute), and the teams the person leads.
SESSION_BY_HASH = """
WITH s AS (
    SELECT org_id, id, person_id, csrf_secret, last_seen_at, expires_at
    FROM console_sessions
    WHERE id_hash = $1 AND ended_at IS NULL AND idle_expires_at > $2 AND expires_at > $2
), touched AS (
    UPDATE console_sessions c
    SET last_seen_at = $2,
        idle_expires_at = least($2 + make_interval(mins => $3), c.expires_at)
    FROM s
    WHERE c.org_id = s.org_id AND c.id = s.id AND s.last_seen_at < $2 - interval '1 minute'
    RETURNING c.id
)
SELECT s.org_id, s.id, s.person_id, s.csrf_secret, p.display_name, p.admin, p.active,
       o.name AS org_name,
       coalesce(cp.locale, p.locale) AS locale,
       coalesce(cp.results_mail, true) AS results_mail,
       ARRAY(SELECT tl.team_id FROM team_leaders tl
             WHERE tl.org_id = s.org_id AND tl.person_id = s.person_id
             ORDER BY tl.team_id) AS team_ids
FROM s
JOIN people p ON p.org_id = s.org_id AND p.id = s.person_id
JOIN orgs o ON o.id = s.org_id
LEFT JOIN console_prefs cp ON cp.org_id = s.org_id AND cp.person_id = s.person_id
"""

END_SESSION = """
UPDATE console_sessions SET ended_at = coalesce(ended_at, $3)
WHERE org_id = $1 AND id = $2
"""

# --- sign-in links ---------------------------------------------------------------------------

# People who may sign in: active, and an admin or the leader of at least one team.
SIGNIN_PEOPLE = """
SELECT p.org_id, p.id
FROM people p
WHERE lower(p.email) = lower($1) AND p.active
  AND (p.admin OR EXISTS (SELECT 1 FROM team_leaders tl
                          WHERE tl.org_id = p.org_id AND tl.person_id = p.id))
ORDER BY p.org_id
"""

RECENT_LINKS = """
SELECT count(*) FROM signin_links
WHERE org_id = $1 AND person_id = $2 AND created_at > $3
"""

INSERT_LINK = """
INSERT INTO signin_links (org_id, id, person_id, token_hash, next_path, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""

INSERT_SIGNIN_MAIL = """
INSERT INTO console_mail (org_id, kind, person_id, link_id, next_attempt_at)
VALUES ($1, 'signin', $2, $3, $4)
RETURNING id
"""

# A link that can still be used, with whom it signs in (for the confirm page).
LINK_BY_HASH = """
SELECT l.org_id, l.id, l.person_id, p.display_name, o.name AS org_name,
       coalesce(cp.locale, p.locale) AS locale
FROM signin_links l
JOIN people p ON p.org_id = l.org_id AND p.id = l.person_id
JOIN orgs o ON o.id = l.org_id
LEFT JOIN console_prefs cp ON cp.org_id = l.org_id AND cp.person_id = l.person_id
WHERE l.token_hash = $1 AND l.used_at IS NULL AND l.expires_at > $2 AND p.active
"""

# Single use: the first request that flips used_at wins; any other finds nothing.
USE_LINK = """
UPDATE signin_links l SET used_at = $2
FROM people p
WHERE l.token_hash = $1 AND l.used_at IS NULL AND l.expires_at > $2
  AND p.org_id = l.org_id AND p.id = l.person_id AND p.active
RETURNING l.org_id, l.person_id, l.next_path
"""

# --- console mail ----------------------------------------------------------------------------

MAIL_TO_SEND = """
SELECT m.org_id, m.id, m.kind, m.state, m.attempts, m.link_id, m.person_id, m.wave_id,
       p.email, p.display_name, p.active, coalesce(cp.locale, p.locale) AS locale,
       o.name AS org_name, l.expires_at, l.used_at
FROM console_mail m
JOIN people p ON p.org_id = m.org_id AND p.id = m.person_id
JOIN orgs o ON o.id = m.org_id
LEFT JOIN console_prefs cp ON cp.org_id = m.org_id AND cp.person_id = m.person_id
LEFT JOIN signin_links l ON l.org_id = m.org_id AND l.id = m.link_id
WHERE m.org_id = $1 AND m.id = $2
FOR UPDATE OF m SKIP LOCKED
"""

MARK_MAIL = """
UPDATE console_mail
SET state = $3, attempts = attempts + $4, last_error = $5, next_attempt_at = $6,
    sent_at = CASE WHEN $3 = 'sent' THEN $7 ELSE sent_at END
WHERE org_id = $1 AND id = $2
"""

DUE_MAIL = """
SELECT org_id, id FROM console_mail
WHERE state = 'pending' AND next_attempt_at <= $1
ORDER BY next_attempt_at
LIMIT $2
"""

# --- teams (names and dates; no numbers about people) -----------------------------------------

TEAMS_BY_ID = """
SELECT t.id, t.name,
       EXISTS (SELECT 1 FROM teams c WHERE c.org_id = t.org_id AND c.parent_id = t.id
               AND c.archived_at IS NULL) AS has_children
FROM teams t
WHERE t.org_id = $1 AND t.id = ANY ($2::uuid[]) AND t.archived_at IS NULL
ORDER BY lower(t.name), t.id
"""

ORG_ROOTS = """
SELECT id FROM teams WHERE org_id = $1 AND parent_id IS NULL AND archived_at IS NULL
"""

# The next scheduled round of every active pulse whose teams include these teams.
NEXT_ROUNDS = """
SELECT s.team_id, min(p.next_wave_at) AS next_at
FROM pulses p
CROSS JOIN LATERAL team_subtree(p.org_id, p.team_ids, true) s
WHERE p.org_id = $1 AND p.active AND p.next_wave_at IS NOT NULL
  AND s.team_id = ANY ($2::uuid[])
GROUP BY s.team_id
"""

ITEM_TEXTS = """
SELECT key, dimension, texts FROM items WHERE org_id = $1 AND key = ANY ($2::text[])
"""

WAVE_COMMENT_K = """
SELECT comment_k FROM waves WHERE org_id = $1 AND id = $2
"""

# --- focus -----------------------------------------------------------------------------------

FOCUS_HISTORY = """
SELECT dimension, try_text, agreed_on, shown_on_widget
FROM team_focus
WHERE org_id = $1 AND team_id = $2
ORDER BY agreed_on DESC, created_at DESC
LIMIT 50
"""

INSERT_FOCUS = """
INSERT INTO team_focus (org_id, team_id, dimension, try_text, agreed_on, shown_on_widget)
VALUES ($1, $2, $3, $4, $5, $6)
"""

# --- heatmap ---------------------------------------------------------------------------------

# Closed rounds that include any of these teams, newest first (the heatmap's round picker).
ROUNDS_OF_TEAMS = """
SELECT w.id, w.closes_at, w.k
FROM waves w
WHERE w.org_id = $1 AND w.state = 'closed'
  AND EXISTS (SELECT 1 FROM wave_teams wt WHERE wt.org_id = w.org_id AND wt.wave_id = w.id
              AND wt.team_id = ANY ($2::uuid[]))
ORDER BY w.closes_at DESC, w.id
LIMIT 26
"""

# --- settings --------------------------------------------------------------------------------

SAVE_PREFS = """
INSERT INTO console_prefs (org_id, person_id, results_mail, locale, updated_at)
VALUES ($1, $2, coalesce($3, true), $4, $5)
ON CONFLICT (org_id, person_id) DO UPDATE
SET results_mail = coalesce($3, console_prefs.results_mail),
    locale = coalesce($4, console_prefs.locale),
    updated_at = $5
"""

# --- "results are in" ------------------------------------------------------------------------

WAVE_STATE = """
SELECT w.state, o.name AS org_name FROM waves w JOIN orgs o ON o.id = w.org_id
WHERE w.org_id = $1 AND w.id = $2
"""

# Leaders of the teams a wave covered who want the email, with the teams they lead in it.
RESULTS_RECIPIENTS = """
SELECT p.id AS person_id, p.email, p.display_name, coalesce(cp.locale, p.locale) AS locale,
       array_agg(tl.team_id ORDER BY wt.name, tl.team_id) AS team_ids,
       array_agg(coalesce(t.name, wt.name) ORDER BY wt.name, tl.team_id) AS team_names
FROM team_leaders tl
JOIN wave_teams wt ON wt.org_id = tl.org_id AND wt.wave_id = $2 AND wt.team_id = tl.team_id
JOIN people p ON p.org_id = tl.org_id AND p.id = tl.person_id
LEFT JOIN teams t ON t.org_id = tl.org_id AND t.id = tl.team_id
LEFT JOIN console_prefs cp ON cp.org_id = tl.org_id AND cp.person_id = tl.person_id
WHERE tl.org_id = $1 AND p.active AND coalesce(cp.results_mail, true)
GROUP BY p.id, p.email, p.display_name, cp.locale, p.locale
ORDER BY p.id
"""

# One "results are in" mail per leader of the closed wave's teams who wants it, queued in the
# closing transaction (the mail itself is written when it is sent).
QUEUE_RESULTS = """
INSERT INTO console_mail (org_id, kind, person_id, wave_id)
SELECT DISTINCT tl.org_id, 'results', tl.person_id, $2::uuid
FROM team_leaders tl
JOIN wave_teams wt ON wt.org_id = tl.org_id AND wt.wave_id = $2 AND wt.team_id = tl.team_id
JOIN people p ON p.org_id = tl.org_id AND p.id = tl.person_id
LEFT JOIN console_prefs cp ON cp.org_id = tl.org_id AND cp.person_id = tl.person_id
WHERE tl.org_id = $1 AND p.active AND coalesce(cp.results_mail, true)
  AND NOT EXISTS (SELECT 1 FROM console_mail m WHERE m.org_id = tl.org_id AND m.kind = 'results'
                  AND m.wave_id = $2 AND m.person_id = tl.person_id)
"""
