-- The leaders' console: who leads which team, who is an admin, magic-link sign-in, server-side
-- sessions, a small mail queue for console mail, console preferences, and each team's focus.
-- Nothing here references a response, a ballot or an invitation: a focus is team-level text
-- written by a leader, and sign-in rows know a person, never an answer.

-- An admin person sees the whole org in the console (as an admin API key does).
ALTER TABLE people ADD COLUMN admin boolean NOT NULL DEFAULT false;

-- Who leads which team; a leader's scope is the subtrees below the teams they lead.
CREATE TABLE team_leaders (
    org_id      uuid NOT NULL,
    team_id     uuid NOT NULL,
    person_id   uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, team_id, person_id),
    FOREIGN KEY (org_id, team_id) REFERENCES teams (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, person_id) REFERENCES people (org_id, id) ON DELETE CASCADE
);
CREATE INDEX team_leaders_person ON team_leaders (org_id, person_id);

-- A person's console choices: the "results are in" email, and the console's language (NULL:
-- the person's own locale from the directory).
CREATE TABLE console_prefs (
    org_id        uuid NOT NULL,
    person_id     uuid NOT NULL,
    results_mail  boolean NOT NULL DEFAULT true,
    locale        text CHECK (locale IN ('en', 'nl')),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, person_id),
    FOREIGN KEY (org_id, person_id) REFERENCES people (org_id, id) ON DELETE CASCADE
);

-- A single-use sign-in link. The link's token is HMAC(SECRET_KEY, id): the mail job derives it
-- when it writes the mail, and only its sha256 is stored, so a database dump holds no usable
-- link. `next_path` is where the link leads after sign-in (a console path, checked on input).
CREATE TABLE signin_links (
    org_id      uuid NOT NULL,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    person_id   uuid NOT NULL,
    token_hash  bytea NOT NULL UNIQUE,
    next_path   text CHECK (length(next_path) <= 300),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, person_id) REFERENCES people (org_id, id) ON DELETE CASCADE,
    CHECK (expires_at > created_at)
);
-- The per-address limit counts a person's recent links.
CREATE INDEX signin_links_person ON signin_links (org_id, person_id, created_at);

-- A console session. The cookie holds a random value; only its sha256 is stored. A session
-- ends at the first of: sign-out (ended_at), idle expiry (moved on as the person uses the
-- console), absolute expiry (fixed when it starts).
CREATE TABLE console_sessions (
    org_id          uuid NOT NULL,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    id_hash         bytea NOT NULL UNIQUE,
    person_id       uuid NOT NULL,
    -- The synchronizer token every console form carries (compared in constant time).
    csrf_secret     bytea NOT NULL,
    created_at      timestamptz NOT NULL,
    last_seen_at    timestamptz NOT NULL,
    idle_expires_at timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    ended_at        timestamptz,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, person_id) REFERENCES people (org_id, id) ON DELETE CASCADE
);
CREATE INDEX console_sessions_person ON console_sessions (org_id, person_id);

-- Console mail waiting to be sent (sign-in links now; "results are in" later). PostgreSQL is
-- the record, Redis only a nudge: a sweeper re-queues what is still pending.
CREATE TABLE console_mail (
    org_id          uuid NOT NULL,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    kind            text NOT NULL CHECK (kind IN ('signin', 'results')),
    person_id       uuid NOT NULL,
    link_id         uuid,
    wave_id         uuid,
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sent', 'failed', 'skipped')),
    attempts        smallint NOT NULL DEFAULT 0,
    last_error      text,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, person_id) REFERENCES people (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, link_id) REFERENCES signin_links (org_id, id) ON DELETE CASCADE,
    CHECK ((kind = 'signin') = (link_id IS NOT NULL)),
    CHECK ((kind = 'results') = (wave_id IS NOT NULL))
);
CREATE INDEX console_mail_due ON console_mail (next_attempt_at) WHERE state = 'pending';

-- A team's focus: one dimension and one thing it will try, with the date it was agreed.
-- Each new focus is a new row, so the history is kept. Team-level text written by a leader;
-- nothing ties it to a respondent.
CREATE TABLE team_focus (
    org_id          uuid NOT NULL,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    team_id         uuid NOT NULL,
    dimension       text NOT NULL CHECK (dimension ~ '^[a-z][a-z0-9_]{1,47}$'),
    try_text        text NOT NULL CHECK (length(try_text) BETWEEN 1 AND 280),
    agreed_on       date NOT NULL,
    shown_on_widget boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, team_id) REFERENCES teams (org_id, id) ON DELETE CASCADE
);
CREATE INDEX team_focus_team ON team_focus (org_id, team_id, agreed_on DESC, created_at DESC);
