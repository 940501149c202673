-- The follow-up item (service/surveys/pulses/follow_up.toml): once a team has recorded a focus in
-- the console, the next waves ask its people whether the team did what it agreed to try. A wave
-- names the item it adds for that (NULL: none), and each frozen team says whether it is asked.
ALTER TABLE waves ADD COLUMN follow_up_item text;
ALTER TABLE wave_teams ADD COLUMN follow_up boolean NOT NULL DEFAULT false;

-- Every existing org gets the item, as new orgs get it with the built-in bank.
INSERT INTO items (org_id, key, dimension, scale_min, scale_max, reverse, texts, instrument, source)
SELECT o.id, 'ft.did_try', 'follow_through', 1, 7, false,
       jsonb_build_object(
           'en', 'In recent weeks, our team actually did what we agreed to try.',
           'nl', 'De afgelopen weken heeft ons team echt gedaan wat we hadden afgesproken te proberen.'),
       'candor', 'builtin'
FROM orgs o
ON CONFLICT (org_id, key) DO NOTHING;
