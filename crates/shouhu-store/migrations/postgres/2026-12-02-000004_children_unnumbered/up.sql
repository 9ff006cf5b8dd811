-- Files kept without an ID number, by name: a roster import matches each row that has one
-- against these (the same child filed earlier without it) without reading every namesake.
CREATE INDEX children_unnumbered ON children (name, birth_date) WHERE id_hash IS NULL;
