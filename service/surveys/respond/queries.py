"""Every SQL statement of the respondent path, by name."""

from __future__ import annotations

# What the page needs to show the form: the wave's items (those still in the bank, in the
# wave's order), its thresholds, the person's language, whether the link can still be used,
# and the group the answers count toward: the wave's frozen plan for the invitation's team
# (its own numbers), with the other teams of a pooled group ("parent": a team with sub-teams
# in the wave, whose own members are meant). No group for a wave opened before plans were
# frozen at open.
FIND_INVITATION = """
SELECT i.org_id, i.wave_id, i.team_id, i.responded,
       (w.state = 'open' AND w.closes_at > now()) AS is_open, w.k, w.comment_k, p.locale,
       (SELECT coalesce(jsonb_agg(jsonb_build_object('key', it.key, 'texts', it.texts,
                                                     'min', it.scale_min, 'max', it.scale_max)
                                  ORDER BY array_position(w.item_keys, it.key)), '[]'::jsonb)
        FROM items it WHERE it.org_id = w.org_id AND it.key = ANY(w.item_keys)
          AND (it.key IS DISTINCT FROM w.follow_up_item OR wt.follow_up)) AS items,
       wp.name AS group_name, wp.invited AS group_invited,
       coalesce(wp.pooled, false) AS group_pooled,
       (SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'name', wt.name,
                   'parent', EXISTS (SELECT 1 FROM wave_teams c
                                     WHERE c.org_id = wt.org_id AND c.wave_id = wt.wave_id
                                       AND c.parent_id = wt.team_id))
                ORDER BY lower(wt.name), wt.team_id), '[]'::jsonb)
        FROM wave_teams wt
        WHERE wt.org_id = i.org_id AND wt.wave_id = i.wave_id
          AND wt.team_id = ANY(wp.atoms) AND wt.team_id <> i.team_id) AS group_partners
FROM invitations i
JOIN waves w ON w.org_id = i.org_id AND w.id = i.wave_id
JOIN people p ON p.org_id = i.org_id AND p.id = i.person_id
JOIN wave_teams wt ON wt.org_id = i.org_id AND wt.wave_id = i.wave_id AND wt.team_id = i.team_id
LEFT JOIN wave_plan wp ON wp.org_id = i.org_id AND wp.wave_id = i.wave_id
                      AND wp.team_id = i.team_id AND wp.scope = 'team'
WHERE i.token_hash = $1
"""

# A whole submission in one statement, so one transaction and one round trip:
#   $1 token hash, $2 answers (a jsonb object), $3 comment, $4 whether the comment passed its
#   (Python) rules.
# - `target` locks the wave FOR KEY SHARE. That conflicts with close_wave's FOR UPDATE: a
#   submit either lands before the box is emptied, or waits and then reads the wave as it is
#   after the close (Postgres re-reads a locked row that changed), so `is_open` is false.
# - `problems` holds THE rules for answers: every item of the wave still in the bank needs an
#   integer within its scale ('err_missing' when absent or null, 'err_range' for anything else
#   that is not such a number); any other key is 'err_unknown'. {} when all is well.
# - `used` marks the invitation responded only when there are no problems, the comment may be
#   stored and the wave is open; its `NOT responded` makes the token single-use under any
#   concurrency. The ballot holds (wave, team, answers, comment), nothing more.
# The one row says what happened; submission.submit() reads it.
SUBMIT = """
WITH target AS MATERIALIZED (
    SELECT i.org_id, i.wave_id, i.team_id, i.responded,
           -- The follow-up item is asked only of a team that has recorded a focus.
           CASE WHEN w.follow_up_item IS NULL OR wt.follow_up THEN w.item_keys
                ELSE array_remove(w.item_keys, w.follow_up_item) END AS item_keys,
           (w.state = 'open' AND w.closes_at > now()) AS is_open
    FROM invitations i
    JOIN waves w ON w.org_id = i.org_id AND w.id = i.wave_id
    JOIN wave_teams wt ON wt.org_id = i.org_id AND wt.wave_id = i.wave_id
                      AND wt.team_id = i.team_id
    WHERE i.token_hash = $1
    FOR KEY SHARE OF w
), asked AS (
    SELECT it.key, it.scale_min, it.scale_max, $2::jsonb -> it.key AS answer
    FROM target t
    JOIN items it ON it.org_id = t.org_id AND it.key = ANY (t.item_keys)
), problems AS (
    SELECT coalesce(jsonb_object_agg(p.key, p.code), '{}'::jsonb) AS errors
    FROM (
        SELECT given.key, 'err_unknown' AS code
        FROM jsonb_object_keys($2::jsonb) AS given(key)
        WHERE given.key NOT IN (SELECT key FROM asked)
        UNION ALL
        SELECT a.key,
               CASE
                   WHEN a.answer IS NULL OR jsonb_typeof(a.answer) = 'null' THEN 'err_missing'
                   WHEN jsonb_typeof(a.answer) <> 'number' THEN 'err_range'
                   WHEN a.answer::numeric <> trunc(a.answer::numeric) THEN 'err_range'
                   WHEN a.answer::numeric NOT BETWEEN a.scale_min AND a.scale_max
                       THEN 'err_range'
               END
        FROM asked a
    ) p
    WHERE p.code IS NOT NULL
), used AS (
    UPDATE invitations i SET responded = true
    FROM target t, problems p
    WHERE i.token_hash = $1 AND NOT i.responded
      AND i.org_id = t.org_id AND i.wave_id = t.wave_id
      AND t.is_open AND p.errors = '{}'::jsonb AND $4::boolean
    RETURNING i.org_id, i.wave_id, i.team_id
), ballot AS (
    INSERT INTO ballots (org_id, wave_id, team_id, answers, comment)
    SELECT org_id, wave_id, team_id, $2, $3 FROM used
    RETURNING true
)
SELECT t.org_id IS NOT NULL AS found,
       coalesce(t.responded, false) AS responded,
       coalesce(t.is_open, false) AS is_open,
       p.errors,
       EXISTS (SELECT 1 FROM ballot) AS stored
FROM problems p
LEFT JOIN target t ON true
"""
