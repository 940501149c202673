-- A team's focus can be shown on its widget (the leader's choice, table team_focus). The widget
-- token's resolve reads the latest focus's stamp for its ETag, and a focus change tells every
-- API process to forget its cached tokens, like a closed wave does (migration 0006).
CREATE TRIGGER team_focus_changed
    AFTER INSERT OR UPDATE OR DELETE ON team_focus
    FOR EACH STATEMENT EXECUTE FUNCTION candor_widgets_changed();
