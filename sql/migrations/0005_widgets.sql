-- Widget tokens: read-only links that let a team show its own trend where it works (intranet,
-- wiki, README). Only the sha256 of a token is stored; `prefix` lets an admin recognise one.
-- A token is valid while revoked_at IS NULL AND expires_at > now(), checked on every request.

CREATE TABLE widget_tokens (
    org_id          uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    token_hash      bytea NOT NULL UNIQUE,
    prefix          text NOT NULL,
    team_id         uuid NOT NULL,
    -- true: the team's numbers include every team below it (as the leader API's subtree trend).
    subtree         boolean NOT NULL DEFAULT true,
    -- Exact origins ("https://wiki.example.com") that may frame the page and read the JSON.
    allowed_origins text[] NOT NULL DEFAULT '{}',
    label           text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, team_id) REFERENCES teams (org_id, id) ON DELETE CASCADE,
    CHECK (cardinality(allowed_origins) <= 20)
);
CREATE INDEX widget_tokens_team ON widget_tokens (org_id, team_id);
