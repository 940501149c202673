-- Directory, question bank, pulses, waves, invitations and the anonymous side: ballots,
-- responses and comments. Identity lives only in `people`; nothing on the anonymous side
-- references a person, a token, an invitation or a time finer than the wave.

CREATE TABLE teams (
    org_id      uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    parent_id   uuid,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    archived_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, parent_id) REFERENCES teams (org_id, id),
    CHECK (parent_id IS DISTINCT FROM id)
);
CREATE INDEX teams_parent ON teams (org_id, parent_id);
CREATE UNIQUE INDEX teams_name_per_parent
    ON teams (org_id, coalesce(parent_id, '00000000-0000-0000-0000-000000000000'::uuid), lower(name))
    WHERE archived_at IS NULL;

CREATE TABLE people (
    org_id       uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    email        text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    locale       text NOT NULL DEFAULT 'en' CHECK (locale IN ('en', 'nl')),
    team_id      uuid,
    active       boolean NOT NULL DEFAULT true,
    opted_out    boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, team_id) REFERENCES teams (org_id, id)
);
CREATE UNIQUE INDEX people_email ON people (org_id, lower(email));
CREATE INDEX people_team ON people (org_id, team_id) WHERE active;

-- Items: the built-in bank is copied into each org (source = 'builtin'); orgs add their own.
-- `key` is the stable id used in pulses, waves, responses and rollups.
CREATE TABLE items (
    org_id      uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    key         text NOT NULL CHECK (key ~ '^[a-z0-9][a-z0-9_.-]{1,63}$'),
    dimension   text NOT NULL CHECK (dimension ~ '^[a-z][a-z0-9_]{1,47}$'),
    scale_min   smallint NOT NULL DEFAULT 1,
    scale_max   smallint NOT NULL DEFAULT 7,
    reverse     boolean NOT NULL DEFAULT false,
    texts       jsonb NOT NULL,           -- {"en": "...", "nl": "..."}
    instrument  text NOT NULL DEFAULT 'candor',
    source      text NOT NULL DEFAULT 'org' CHECK (source IN ('builtin', 'org')),
    retired     boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, key),
    CHECK (scale_min < scale_max AND scale_max - scale_min <= 10)
);

CREATE TABLE pulses (
    org_id          uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    team_ids        uuid[] NOT NULL,        -- subtree roots
    core_items      text[] NOT NULL,        -- asked in every wave (one per dimension)
    rotating_items  text[] NOT NULL DEFAULT '{}',
    items_per_wave  smallint NOT NULL CHECK (items_per_wave BETWEEN 3 AND 7),
    cadence         text NOT NULL CHECK (cadence IN ('weekly', 'every_n_weeks', 'monthly')),
    cadence_weeks   smallint NOT NULL DEFAULT 1 CHECK (cadence_weeks BETWEEN 1 AND 26),
    open_days       smallint NOT NULL CHECK (open_days BETWEEN 1 AND 28),
    k               smallint NOT NULL DEFAULT 5 CHECK (k BETWEEN 3 AND 100),
    comment_k       smallint NOT NULL DEFAULT 10 CHECK (comment_k BETWEEN 3 AND 1000),
    reminder_days   smallint[] NOT NULL DEFAULT '{3,5}',
    starts_at       timestamptz NOT NULL DEFAULT now(),
    next_wave_at    timestamptz,            -- the scheduler opens a wave when this is due
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    CHECK (comment_k >= k)
);
-- The scheduler's question, every minute: which active pulses are due?
CREATE INDEX pulses_due ON pulses (next_wave_at) WHERE active;

-- One run of a pulse. k and comment_k are copied (locked) when it opens.
CREATE TABLE waves (
    org_id      uuid NOT NULL,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    pulse_id    uuid NOT NULL,
    seq         integer NOT NULL,
    item_keys   text[] NOT NULL,
    k           smallint NOT NULL,
    comment_k   smallint NOT NULL,
    opens_at    timestamptz NOT NULL,
    closes_at   timestamptz NOT NULL,
    state       text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    closed_at   timestamptz,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, pulse_id) REFERENCES pulses (org_id, id),
    UNIQUE (org_id, pulse_id, seq),
    CHECK (closes_at > opens_at)
);
CREATE INDEX waves_open_deadline ON waves (closes_at) WHERE state = 'open';

-- The team tree as it stood when the wave opened, so later moves never rewrite history.
CREATE TABLE wave_teams (
    org_id      uuid NOT NULL,
    wave_id     uuid NOT NULL,
    team_id     uuid NOT NULL,
    parent_id   uuid,                     -- parent within this wave's tree (NULL at a root)
    name        text NOT NULL,
    invited     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, wave_id, team_id),
    FOREIGN KEY (org_id, wave_id) REFERENCES waves (org_id, id) ON DELETE CASCADE
);

-- One person in one wave. Knows whether they responded (for reminders), never what or when.
-- The token is HMAC(SECRET_KEY, id), so a reminder re-sends the same link; only its sha256 is kept.
CREATE TABLE invitations (
    org_id      uuid NOT NULL,
    wave_id     uuid NOT NULL,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    person_id   uuid NOT NULL,
    team_id     uuid NOT NULL,
    token_hash  bytea NOT NULL UNIQUE,
    responded   boolean NOT NULL DEFAULT false,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, wave_id, person_id),
    FOREIGN KEY (org_id, wave_id) REFERENCES waves (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, person_id) REFERENCES people (org_id, id)
);
CREATE INDEX invitations_wave ON invitations (org_id, wave_id, team_id);

-- The sealed ballot box: what was answered, for which wave and team, and nothing else
-- (no id, no person, no token, no time). Emptied into responses/comments when the wave closes.
CREATE TABLE ballots (
    org_id      uuid NOT NULL,
    wave_id     uuid NOT NULL,
    team_id     uuid NOT NULL,
    answers     jsonb NOT NULL,           -- {"item.key": 5, ...}
    comment     text CHECK (length(comment) <= 2000),
    FOREIGN KEY (org_id, wave_id) REFERENCES waves (org_id, id) ON DELETE CASCADE
);
CREATE INDEX ballots_wave ON ballots (org_id, wave_id);

-- Responses and comments are written once, at close, in random order with random ids.
-- Comments are kept apart from answers so that a comment's wording cannot be joined to a
-- respondent's scores.
CREATE TABLE responses (
    org_id      uuid NOT NULL,
    wave_id     uuid NOT NULL,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    team_id     uuid NOT NULL,
    answers     jsonb NOT NULL,
    PRIMARY KEY (org_id, wave_id, id),
    FOREIGN KEY (org_id, wave_id) REFERENCES waves (org_id, id) ON DELETE CASCADE
);

CREATE TABLE comments (
    org_id      uuid NOT NULL,
    wave_id     uuid NOT NULL,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    team_id     uuid NOT NULL,
    body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    PRIMARY KEY (org_id, wave_id, id),
    FOREIGN KEY (org_id, wave_id) REFERENCES waves (org_id, id) ON DELETE CASCADE
);
