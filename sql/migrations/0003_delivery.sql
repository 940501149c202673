-- Delivery: the outbox of invitation and reminder emails, opt-outs, and scheduler errors.
-- Postgres is the record of every email still to send; Redis only carries "go look" nudges,
-- so flushing Redis or killing a worker loses nothing (see service/surveys/outbox.py).

-- One row per email to send. SURVEYS-RESPOND's open_wave inserts the 'invite' rows in the
-- same transaction that creates the invitations; the scheduler inserts 'reminder' rows.
-- The unique key makes queueing idempotent: a re-run cron or a second worker cannot queue
-- the same email twice.
CREATE TABLE outbox (
    org_id          uuid NOT NULL,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    invitation_id   uuid NOT NULL,
    kind            text NOT NULL DEFAULT 'invite' CHECK (kind IN ('invite', 'reminder')),
    reminder_no     smallint NOT NULL DEFAULT 0 CHECK (reminder_no BETWEEN 0 AND 10),
    -- 'skipped': not sent on purpose (responded before the reminder went out, opted out,
    -- wave already closed); last_error says which.
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    attempts        smallint NOT NULL DEFAULT 0,
    last_error      text,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    -- A sender claims rows with a random token; a row stuck in 'sending' past its lease
    -- (the sender died) is put back to 'pending' by the sweeper.
    claim           uuid,
    claimed_at      timestamptz,
    sent_at         timestamptz,
    message_id      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, invitation_id, kind, reminder_no),
    FOREIGN KEY (org_id, invitation_id) REFERENCES invitations (org_id, id) ON DELETE CASCADE,
    CHECK ((kind = 'invite') = (reminder_no = 0))
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_sending ON outbox (claimed_at) WHERE state = 'sending';

-- Who opted out of pulse emails, and through which wave's email. Holds no link to any answer
-- (answers carry no person). people.opted_out is the flag open_wave honours; this row is the
-- record behind the per-wave opt-out count admins see.
CREATE TABLE opt_outs (
    org_id      uuid NOT NULL,
    person_id   uuid NOT NULL,
    wave_id     uuid,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, person_id),
    FOREIGN KEY (org_id, person_id) REFERENCES people (org_id, id) ON DELETE CASCADE
);
CREATE INDEX opt_outs_wave ON opt_outs (org_id, wave_id);

-- The last thing that stopped the scheduler from opening or closing a pulse's wave, so a
-- misconfigured pulse is a recorded failure rather than a silent log line.
CREATE TABLE schedule_errors (
    org_id      uuid NOT NULL,
    pulse_id    uuid NOT NULL,
    step        text NOT NULL CHECK (step IN ('open', 'close', 'remind')),
    error       text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, pulse_id, step),
    FOREIGN KEY (org_id, pulse_id) REFERENCES pulses (org_id, id) ON DELETE CASCADE
);
