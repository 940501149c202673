"""Every SQL statement of the delivery slice, by name: the outbox, reminders, opt-outs and
the delivery status view. Parameters are positional; $1 is the org wherever there is one."""

from __future__ import annotations

# --- filling the outbox -------------------------------------------------------------------------

QUEUE_INVITES = """
INSERT INTO outbox (org_id, invitation_id, kind, state)
SELECT org_id, id, 'invite', 'pending' FROM invitations WHERE org_id = $1 AND wave_id = $2
"""

# Per open wave, the highest reminder whose day has come (reminder_days sorted, at most $1 of
# them). Only that one is queued: after an outage people get one reminder, not a burst of the
# ones missed. $2 is the cutoff before the deadline after which no reminder goes out.
QUEUE_REMINDERS = """
WITH due AS (
    SELECT w.org_id, w.id AS wave_id, max(r.no) AS no
    FROM waves w
    JOIN pulses p ON p.org_id = w.org_id AND p.id = w.pulse_id
    CROSS JOIN LATERAL (
        SELECT d AS days, row_number() OVER (ORDER BY d) AS no
        FROM unnest(p.reminder_days) AS d
        WHERE d > 0
    ) r
    WHERE w.state = 'open' AND r.no <= $1
      AND w.opens_at + make_interval(days => r.days) <= now()
      AND now() < w.closes_at - $2::interval
    GROUP BY w.org_id, w.id
)
INSERT INTO outbox (org_id, invitation_id, kind, reminder_no)
SELECT i.org_id, i.id, 'reminder', due.no
FROM due
JOIN invitations i ON i.org_id = due.org_id AND i.wave_id = due.wave_id
JOIN people pe ON pe.org_id = i.org_id AND pe.id = i.person_id
WHERE NOT i.responded AND NOT pe.opted_out
  AND EXISTS (SELECT 1 FROM outbox o
              WHERE o.org_id = i.org_id AND o.invitation_id = i.id
                AND o.kind = 'invite' AND o.state = 'sent')
ON CONFLICT (org_id, invitation_id, kind, reminder_no) DO NOTHING
RETURNING org_id, (SELECT wave_id FROM invitations x WHERE x.org_id = outbox.org_id
                   AND x.id = outbox.invitation_id) AS wave_id
"""

# --- sending ------------------------------------------------------------------------------------

CLAIM = """
WITH picked AS (
    -- Driven by the partial index of pending rows, and unordered: a sort over every pending
    -- row of a 10,000-person wave for each batch of 50 cost more than the sending.
    SELECT o.org_id, o.id
    FROM outbox o
    WHERE o.state = 'pending' AND o.next_attempt_at <= now() AND o.org_id = $1
      AND EXISTS (SELECT 1 FROM invitations i
                  WHERE i.org_id = o.org_id AND i.id = o.invitation_id AND i.wave_id = $2)
    LIMIT $3
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE outbox o
    SET state = 'sending', claim = $4, claimed_at = now(), attempts = o.attempts + 1
    FROM picked
    WHERE o.org_id = picked.org_id AND o.id = picked.id
    RETURNING o.org_id, o.id, o.invitation_id, o.kind, o.reminder_no, o.attempts
)
SELECT c.id, c.org_id, c.invitation_id, c.kind, c.reminder_no, c.attempts,
       p.id AS person_id, p.email, p.display_name, p.locale, p.opted_out,
       i.responded, w.id AS wave_id, w.state AS wave_state, w.closes_at, w.k,
       pu.id AS pulse_id, pu.name AS pulse_name, org.name AS org_name
FROM claimed c
JOIN invitations i ON i.org_id = c.org_id AND i.id = c.invitation_id
JOIN people p ON p.org_id = i.org_id AND p.id = i.person_id
JOIN waves w ON w.org_id = i.org_id AND w.id = i.wave_id
JOIN pulses pu ON pu.org_id = w.org_id AND pu.id = w.pulse_id
JOIN orgs org ON org.id = c.org_id
ORDER BY c.id
"""

MARK_SENT = """
UPDATE outbox SET state = 'sent', sent_at = now(), message_id = $4, last_error = NULL,
                  claim = NULL
WHERE org_id = $1 AND id = $2 AND claim = $3 AND state = 'sending'
"""

MARK_SENT_MANY = """
UPDATE outbox o
SET state = 'sent', sent_at = now(), message_id = u.mid, last_error = NULL, claim = NULL
FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[]) AS u(org, id, claim, mid)
WHERE o.org_id = u.org AND o.id = u.id AND o.claim = u.claim AND o.state = 'sending'
"""

# $4 is 'failed' or 'skipped'.
FINISH = """
UPDATE outbox SET state = $4, last_error = left($5, 500), claim = NULL
WHERE org_id = $1 AND id = $2 AND claim = $3 AND state = 'sending'
"""

RETRY_LATER = """
UPDATE outbox SET state = 'pending', last_error = left($4, 500), claim = NULL,
                  next_attempt_at = now() + make_interval(secs => $5)
WHERE org_id = $1 AND id = $2 AND claim = $3 AND state = 'sending'
"""

# The claim did not count as an attempt for rows that were never tried.
RELEASE = """
UPDATE outbox SET state = 'pending', attempts = greatest(attempts - 1, 0), claim = NULL
WHERE org_id = $1 AND id = ANY($2::uuid[]) AND claim = $3 AND state = 'sending'
"""

SECONDS_UNTIL_NEXT_DUE = """
SELECT extract(epoch FROM min(o.next_attempt_at) - now())::float8
FROM outbox o
JOIN invitations i ON i.org_id = o.org_id AND i.id = o.invitation_id
WHERE o.org_id = $1 AND i.wave_id = $2 AND o.state = 'pending'
"""

# --- sweeping -----------------------------------------------------------------------------------

RESET_STALE_CLAIMS = """
UPDATE outbox SET state = 'pending', claim = NULL, next_attempt_at = now(),
                  last_error = coalesce(last_error, 'sender stopped before finishing')
WHERE state = 'sending' AND claimed_at < now() - make_interval(secs => $1)
"""

WAVES_WITH_DUE_MAIL = """
SELECT DISTINCT i.org_id, i.wave_id
FROM outbox o
JOIN invitations i ON i.org_id = o.org_id AND i.id = o.invitation_id
WHERE o.state = 'pending' AND o.next_attempt_at <= now()
"""

SKIP_PENDING_OF_WAVE = """
UPDATE outbox o SET state = 'skipped', last_error = 'wave closed before sending', claim = NULL
FROM invitations i
WHERE i.org_id = o.org_id AND i.id = o.invitation_id
  AND o.org_id = $1 AND i.wave_id = $2 AND o.state = 'pending'
"""

# --- opting out ---------------------------------------------------------------------------------

OPT_OUT_PERSON = """
UPDATE people SET opted_out = true, updated_at = now()
WHERE org_id = $1 AND id = $2
RETURNING true
"""

RECORD_OPT_OUT = """
INSERT INTO opt_outs (org_id, person_id, wave_id) VALUES ($1, $2, $3)
ON CONFLICT (org_id, person_id) DO NOTHING
"""

SKIP_PENDING_OF_PERSON = """
UPDATE outbox o SET state = 'skipped', last_error = 'opted out'
FROM invitations i
WHERE i.org_id = o.org_id AND i.id = o.invitation_id
  AND o.org_id = $1 AND i.person_id = $2 AND o.state = 'pending'
"""

PERSON_LOCALE = """
SELECT locale FROM people WHERE org_id = $1 AND id = $2
"""

# --- the delivery status view -------------------------------------------------------------------

STATUS_WAVE = """
SELECT id, state, k FROM waves WHERE org_id = $1 AND id = $2
"""

COUNTS = """
SELECT count(*) AS invited,
       count(*) FILTER (WHERE o.state = 'sent') AS delivered,
       count(*) FILTER (WHERE o.state IN ('pending', 'sending')) AS pending,
       count(*) FILTER (WHERE o.state = 'failed') AS failed,
       count(*) FILTER (WHERE o.state = 'skipped') AS skipped,
       count(*) FILTER (WHERE i.responded) AS responded
FROM invitations i
LEFT JOIN outbox o ON o.org_id = i.org_id AND o.invitation_id = i.id AND o.kind = 'invite'
WHERE i.org_id = $1 AND i.wave_id = $2
"""

REMINDERS_SENT = """
SELECT count(*) FROM outbox o
JOIN invitations i ON i.org_id = o.org_id AND i.id = o.invitation_id
WHERE o.org_id = $1 AND i.wave_id = $2 AND o.kind = 'reminder' AND o.state = 'sent'
"""

OPTED_OUT = """
SELECT count(*) FROM opt_outs WHERE org_id = $1 AND wave_id = $2
"""

FAILURES = """
SELECT p.id AS person_id, p.email, p.display_name, o.kind, o.reminder_no, o.attempts,
       o.last_error
FROM outbox o
JOIN invitations i ON i.org_id = o.org_id AND i.id = o.invitation_id
JOIN people p ON p.org_id = i.org_id AND p.id = i.person_id
WHERE o.org_id = $1 AND i.wave_id = $2 AND o.state = 'failed'
ORDER BY lower(p.email), o.kind, o.reminder_no
LIMIT $3
"""

WAVE_TEAMS = """
SELECT team_id, parent_id, name FROM wave_teams WHERE org_id = $1 AND wave_id = $2
"""

# Stored participation of the leader's top teams; only ever shown through the guard.
SUBTREE_PARTICIPATION = """
SELECT team_id, invited, responded, hidden FROM wave_groups
WHERE org_id = $1 AND wave_id = $2 AND scope = 'subtree' AND team_id = ANY($3::uuid[])
"""

# Invited and responded per reporting group of the wave (its frozen plan: a small team counts
# with the group it is reported in); for a wave without a plan, per team. `parts` are the
# group's teams ("direct": a team with sub-teams in the wave, whose own members are meant), so
# a page can name the group in its reader's language.
GROUP_PROGRESS = """
WITH groups AS (
    (SELECT DISTINCT ON (atoms) name, atoms FROM wave_plan
     WHERE org_id = $1 AND wave_id = $2 AND scope = 'team' AND atoms IS NOT NULL
     ORDER BY atoms, name)
    UNION ALL
    SELECT wt.name, ARRAY[wt.team_id] FROM wave_teams wt
    WHERE wt.org_id = $1 AND wt.wave_id = $2
      AND NOT EXISTS (SELECT 1 FROM wave_plan p WHERE p.org_id = $1 AND p.wave_id = $2)
)
SELECT g.name, count(i.id) AS invited, count(i.id) FILTER (WHERE i.responded) AS responded,
       (SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'name', wt.name,
                   'direct', EXISTS (SELECT 1 FROM wave_teams c
                                     WHERE c.org_id = wt.org_id AND c.wave_id = wt.wave_id
                                       AND c.parent_id = wt.team_id))
                ORDER BY lower(wt.name), wt.team_id), '[]'::jsonb)
        FROM wave_teams wt
        WHERE wt.org_id = $1 AND wt.wave_id = $2 AND wt.team_id = ANY (g.atoms)) AS parts
FROM groups g
LEFT JOIN invitations i ON i.org_id = $1 AND i.wave_id = $2 AND i.team_id = ANY (g.atoms)
GROUP BY g.name, g.atoms
ORDER BY g.name
"""
