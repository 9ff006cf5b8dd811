-- The nightly duty run finds the files written since its last run (a roster import among
-- them) without reading every file.
CREATE INDEX children_updated ON children (updated_at);
