-- The reporting plan (service/guard/plan.py): which groups a wave reports, made when the wave
-- opens from its frozen tree and invited counts, and kept with the wave. Small teams are
-- reported together with another group instead of being hidden; an admin can choose the
-- partner per team ("report with").

-- An admin's choice for a team with fewer than k people: a sibling, or the parent (its own
-- members). Checked against the tree when a wave opens; a choice that no longer fits is ignored.
ALTER TABLE teams ADD COLUMN report_with uuid;
ALTER TABLE teams ADD CONSTRAINT teams_report_with_fk
    FOREIGN KEY (org_id, report_with) REFERENCES teams (org_id, id) ON DELETE SET NULL (report_with);
ALTER TABLE teams ADD CONSTRAINT teams_report_with_not_self CHECK (report_with IS DISTINCT FROM id);

-- Frozen with the wave, like the tree: later changes never rewrite a wave's groups.
ALTER TABLE wave_teams ADD COLUMN report_with uuid;

-- One row per (team, scope) key of the wave: the teams whose own members it reports (NULL when
-- the key is not reported on its own), the name a reader sees, and how many were invited.
CREATE TABLE wave_plan (
    org_id      uuid NOT NULL,
    wave_id     uuid NOT NULL,
    team_id     uuid NOT NULL,
    scope       text NOT NULL CHECK (scope IN ('team', 'subtree')),
    atoms       uuid[],
    name        text NOT NULL,
    invited     integer NOT NULL,
    pooled      boolean NOT NULL,
    PRIMARY KEY (org_id, wave_id, team_id, scope),
    FOREIGN KEY (org_id, wave_id) REFERENCES waves (org_id, id) ON DELETE CASCADE
);

-- Rollup rows say which group they describe, and for a complement, which small group it
-- protects (its name, for words a leader can act on).
ALTER TABLE wave_groups ADD COLUMN name text;
ALTER TABLE wave_groups ADD COLUMN pooled boolean NOT NULL DEFAULT false;
ALTER TABLE wave_groups ADD COLUMN hidden_because text;
ALTER TABLE wave_groups DROP CONSTRAINT wave_groups_hidden_check;
ALTER TABLE wave_groups ADD CONSTRAINT wave_groups_hidden_check
    CHECK (hidden IN ('few', 'complement', 'pooled'));
ALTER TABLE wave_groups DROP CONSTRAINT wave_groups_comments_hidden_check;
ALTER TABLE wave_groups ADD CONSTRAINT wave_groups_comments_hidden_check
    CHECK (comments_hidden IN ('few', 'complement', 'pooled'));

-- Small cells publish intervals from the wave's pooled spread (over every respondent of the
-- measure), never their own: these hold that spread, the same on every row of a wave and measure.
ALTER TABLE wave_cells ADD COLUMN hidden_because text;
ALTER TABLE wave_cells ADD COLUMN pooled_var_raw float8;
ALTER TABLE wave_cells ADD COLUMN pooled_var100 float8;
ALTER TABLE wave_cells DROP CONSTRAINT wave_cells_hidden_check;
ALTER TABLE wave_cells ADD CONSTRAINT wave_cells_hidden_check
    CHECK (hidden IN ('few', 'complement', 'pooled'));
