-- Insiders (docs/privacy.md, "Admins"): the org's anonymity floors, which only the operator
-- changes (`candor org floors`), and an append-only audit log of every admin, leader, operator
-- and scheduler action that changes something.

-- The lowest k and comment_k any pulse of the org may use. Every org, existing ones included,
-- starts at the defaults: a pulse below them opens no further wave until an admin raises its
-- thresholds or the operator lowers the floors (the scheduler records why in schedule_errors).
ALTER TABLE orgs
    ADD COLUMN floor_k smallint NOT NULL DEFAULT 5 CHECK (floor_k BETWEEN 3 AND 100),
    ADD COLUMN floor_comment_k smallint NOT NULL DEFAULT 10
        CHECK (floor_comment_k BETWEEN 3 AND 1000);
ALTER TABLE orgs ADD CONSTRAINT orgs_floor_comment_k_at_least_k
    CHECK (floor_comment_k >= floor_k);

-- Who did what to which object, and when. Nothing from the anonymous side is ever written here
-- (no answer, comment, ballot, token or address): details hold field names and small values
-- such as a pulse's new thresholds or a team's new name (service/audit.py decides).
-- `seq` only orders the entries of one transaction (they share `at`); the API never shows it.
CREATE TABLE audit_log (
    org_id       uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    seq          bigint GENERATED ALWAYS AS IDENTITY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor_kind   text NOT NULL CHECK (actor_kind IN ('api_key', 'person', 'cli', 'system')),
    actor_id     uuid,
    action       text NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
    object_kind  text NOT NULL CHECK (object_kind ~ '^[a-z_]+$'),
    object_id    uuid,
    details      jsonb NOT NULL DEFAULT '{}'
        CHECK (jsonb_typeof(details) = 'object' AND length(details::text) <= 8000),
    PRIMARY KEY (org_id, id),
    -- A key or a person is named by id; the CLI (the operator) and the scheduler have none.
    CHECK ((actor_kind IN ('api_key', 'person')) = (actor_id IS NOT NULL))
);
CREATE INDEX audit_log_newest ON audit_log (org_id, at DESC, seq DESC);
CREATE INDEX audit_log_object ON audit_log (org_id, object_id) WHERE object_id IS NOT NULL;
CREATE INDEX audit_log_actor ON audit_log (org_id, actor_id) WHERE actor_id IS NOT NULL;

-- Append-only, enforced by the database as well as by the code (which has no UPDATE or DELETE
-- of this table). The one exception: deleting an org removes its log through the foreign key's
-- cascade; by then the org row is gone, which a plain DELETE cannot arrange (the org would have
-- to be deleted first, and with it the rows). TRUNCATE is refused outright. The table's owner
-- and superusers can still drop these triggers or the table: docs/privacy.md says so.
CREATE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM orgs WHERE id = OLD.org_id) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_log_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
