-- API processes cache resolved widget tokens (service/analytics/widgets/tokencache.py). Any
-- change to a token (revoked, expiry edited, deleted) or to a wave (closed: numbers published)
-- tells every listening process to forget what it cached. Statement-level, so a bulk change
-- sends one notification; identical notifications in one transaction are merged by PostgreSQL.

CREATE FUNCTION candor_widgets_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('candor_widgets', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER widget_tokens_changed
    AFTER UPDATE OR DELETE ON widget_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION candor_widgets_changed();

CREATE TRIGGER waves_changed
    AFTER INSERT OR UPDATE OR DELETE ON waves
    FOR EACH STATEMENT EXECUTE FUNCTION candor_widgets_changed();
