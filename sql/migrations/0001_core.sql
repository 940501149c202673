-- Tenants and their API keys. Every table carries org_id and leads its keys with it, so a
-- distributed engine can shard by org and no query can cross orgs by accident.

CREATE TABLE orgs (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- An API key is shown once; only its sha256 is kept. `prefix` (the first characters of the key)
-- lets an admin recognise a key in a list without it being usable.
CREATE TABLE api_keys (
    org_id        uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    prefix        text NOT NULL,
    key_hash      bytea NOT NULL UNIQUE,
    role          text NOT NULL CHECK (role IN ('admin', 'leader')),
    -- Leader keys see these teams and every team below them; admin keys see the whole org.
    scope_team_ids uuid[] NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz,
    PRIMARY KEY (org_id, id),
    CHECK (role = 'admin' OR cardinality(scope_team_ids) > 0)
);
