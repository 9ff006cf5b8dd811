-- A replay reads every case of its child (closed ones too, to reopen one a correction revives).
CREATE INDEX dropout_cases_child ON dropout_cases (child_id);
