-- Rollups written once when a wave closes (service/analytics/rollup.py), so that trend, heatmap
-- and export reads never touch raw responses. Each row also carries the anonymity guard's
-- publication decision, taken once over the wave's whole frozen tree, so every view that can
-- fetch a number (trend, heatmap, CSV, widgets) hides exactly the same cells.
--
-- scope 'team' = the people of that team only; 'subtree' = the team and every team below it
-- (for a team without children both hold the same numbers).

CREATE TABLE wave_groups (
    org_id          uuid NOT NULL,
    wave_id         uuid NOT NULL,
    team_id         uuid NOT NULL,
    scope           text NOT NULL CHECK (scope IN ('team', 'subtree')),
    invited         integer NOT NULL,
    responded       integer NOT NULL,   -- invitations marked responded
    n               integer NOT NULL,   -- response rows (respondents)
    comments        integer NOT NULL,
    -- NULL = publishable; otherwise a reason code ('few', 'complement'), see guard.py
    hidden          text CHECK (hidden IN ('few', 'complement')),
    comments_hidden text CHECK (comments_hidden IN ('few', 'complement')),
    PRIMARY KEY (org_id, wave_id, team_id, scope),
    FOREIGN KEY (org_id, wave_id) REFERENCES waves (org_id, id) ON DELETE CASCADE
);
-- A team's history across waves (trend) without touching other teams' rows.
CREATE INDEX wave_groups_team ON wave_groups (org_id, team_id, scope, wave_id);

CREATE TABLE wave_cells (
    org_id      uuid NOT NULL,
    wave_id     uuid NOT NULL,
    team_id     uuid NOT NULL,
    scope       text NOT NULL CHECK (scope IN ('team', 'subtree')),
    kind        text NOT NULL CHECK (kind IN ('dimension', 'item')),
    key         text NOT NULL,          -- dimension name or item key
    n           integer NOT NULL,       -- respondents who answered (any item of) it
    sum_raw     float8 NOT NULL,        -- on the item scale, after reverse-keying
    sumsq_raw   float8 NOT NULL,
    sum100      float8 NOT NULL,        -- the same answers mapped to 0-100
    sumsq100    float8 NOT NULL,
    favourable  integer NOT NULL,       -- top two boxes (dimension: mean in the top two boxes)
    hist        integer[] NOT NULL,     -- item: one count per scale point; dimension: 5 bands of 20
    scale_min   smallint NOT NULL,
    scale_max   smallint NOT NULL,
    hidden      text CHECK (hidden IN ('few', 'complement')),
    PRIMARY KEY (org_id, wave_id, team_id, scope, kind, key),
    FOREIGN KEY (org_id, wave_id) REFERENCES waves (org_id, id) ON DELETE CASCADE
);
CREATE INDEX wave_cells_team ON wave_cells (org_id, team_id, scope, kind, key, wave_id);

-- Trend reads list a team's closed waves newest first.
CREATE INDEX waves_closed ON waves (org_id, opens_at DESC) WHERE state = 'closed';
