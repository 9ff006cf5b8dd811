-- Dropout control (控辍保学). Attendance is stored as exceptions: a class's roll call for a day,
-- and the absences it recorded. Enrolment states are derived from them (and from decisions
-- people make) by replaying each child's days; every transition is kept, a rolled-back one
-- marked, never deleted.

-- A county's thresholds, ladder and 劝返通知书 template; a county without a row uses the defaults.
CREATE TABLE dropout_settings (
    region_code     TEXT PRIMARY KEY NOT NULL REFERENCES regions (code),
    streak_days     INTEGER NOT NULL,
    lapse_days      INTEGER NOT NULL,
    ladder          TEXT NOT NULL,
    notice_template TEXT,
    teaching_target INTEGER,
    version         INTEGER NOT NULL DEFAULT 1,
    updated_by      TEXT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE TABLE roll_calls (
    id            INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    class_id      BIGINT NOT NULL REFERENCES classes (id),
    school_id     BIGINT NOT NULL REFERENCES schools (id),
    day           TEXT NOT NULL,
    submitted_by  BIGINT NOT NULL REFERENCES users (id),
    submitted_at  BIGINT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX roll_calls_class_day ON roll_calls (class_id, day);
CREATE INDEX roll_calls_school_day ON roll_calls (school_id, day);

CREATE TABLE absences (
    id            INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    roll_call_id  BIGINT NOT NULL REFERENCES roll_calls (id),
    child_id      BIGINT NOT NULL REFERENCES children (id),
    day           TEXT NOT NULL,
    kind          TEXT NOT NULL,
    reason        TEXT,
    recorded_by   BIGINT NOT NULL REFERENCES users (id),
    recorded_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX absences_child_day ON absences (child_id, day);
CREATE INDEX absences_roll_call ON absences (roll_call_id);

-- Where each child with any dropout history stands now (children without a row are 在读).
CREATE TABLE enrolments (
    child_id      BIGINT PRIMARY KEY NOT NULL REFERENCES children (id),
    school_id     BIGINT NOT NULL REFERENCES schools (id),
    school_region TEXT NOT NULL,
    state         TEXT NOT NULL,
    since         TEXT NOT NULL,
    streak        INTEGER NOT NULL,
    updated_at    BIGINT NOT NULL
);
-- The daily run's one scan: suspicions whose lapse may have come.
CREATE INDEX enrolments_state ON enrolments (state, since);
CREATE INDEX enrolments_region ON enrolments (school_region, state);

-- What people decided (复学, 休学, 转出 …): inputs to the replay, never derived.
CREATE TABLE enrolment_decisions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    child_id      BIGINT NOT NULL REFERENCES children (id),
    day           TEXT NOT NULL,
    kind          TEXT NOT NULL,
    note          TEXT,
    decided_by    BIGINT NOT NULL REFERENCES users (id),
    recorded_at   BIGINT NOT NULL,
    withdrawn_at  BIGINT
);
CREATE INDEX enrolment_decisions_child ON enrolment_decisions (child_id, day);

-- Every transition with its cause; one that a later correction no longer supports is marked
-- rolled back (with why), not deleted.
CREATE TABLE enrolment_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    child_id        BIGINT NOT NULL REFERENCES children (id),
    day             TEXT NOT NULL,
    from_state      TEXT NOT NULL,
    to_state        TEXT NOT NULL,
    cause           TEXT NOT NULL,
    detail          TEXT NOT NULL,
    actor           TEXT NOT NULL,
    recorded_at     BIGINT NOT NULL,
    rolled_back_at  BIGINT,
    rollback_reason TEXT
);
CREATE INDEX enrolment_events_child ON enrolment_events (child_id, day);
CREATE INDEX enrolment_events_day ON enrolment_events (to_state, day);

-- A persuasion (劝返) case: opened by 疑似辍学, owned by a county (handed over on request).
CREATE TABLE dropout_cases (
    id            INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    child_id      BIGINT NOT NULL REFERENCES children (id),
    school_id     BIGINT NOT NULL REFERENCES schools (id),
    school_region TEXT NOT NULL,
    owner_region  TEXT NOT NULL,
    opened_on     TEXT NOT NULL,
    state         TEXT NOT NULL,
    closed_on     TEXT,
    closure       TEXT,
    leave_reason  TEXT,
    reason_note   TEXT,
    version       INTEGER NOT NULL DEFAULT 1,
    updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX dropout_cases_open ON dropout_cases (child_id) WHERE closed_on IS NULL;
CREATE INDEX dropout_cases_school ON dropout_cases (school_id, opened_on);
CREATE INDEX dropout_cases_region ON dropout_cases (school_region, opened_on);
CREATE INDEX dropout_cases_owner ON dropout_cases (owner_region, opened_on);

CREATE TABLE return_attempts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    case_id       BIGINT NOT NULL REFERENCES dropout_cases (id),
    child_id      BIGINT NOT NULL REFERENCES children (id),
    day           TEXT NOT NULL,
    method        TEXT NOT NULL,
    people        TEXT NOT NULL,
    met           TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    note          TEXT,
    recorded_by   BIGINT NOT NULL REFERENCES users (id),
    recorded_at   BIGINT NOT NULL,
    submit_key    TEXT UNIQUE
);
CREATE INDEX return_attempts_case ON return_attempts (case_id, day);
CREATE INDEX return_attempts_child ON return_attempts (child_id, day);

-- 一人一案: the plan a 复学 closes its case with.
CREATE TABLE return_plans (
    case_id        BIGINT PRIMARY KEY NOT NULL REFERENCES dropout_cases (id),
    child_id       BIGINT NOT NULL REFERENCES children (id),
    grade          INTEGER NOT NULL,
    class_id       BIGINT REFERENCES classes (id),
    tutoring       TEXT NOT NULL,
    support        TEXT NOT NULL,
    follow_up_by   BIGINT NOT NULL REFERENCES users (id),
    created_by     BIGINT NOT NULL REFERENCES users (id),
    created_at     BIGINT NOT NULL
);

-- A migrant child's case handed to the hukou county: requested, then accepted or declined.
CREATE TABLE case_handovers (
    id            INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    case_id       BIGINT NOT NULL REFERENCES dropout_cases (id),
    from_region   TEXT NOT NULL,
    to_region     TEXT NOT NULL REFERENCES regions (code),
    note          TEXT,
    requested_by  BIGINT NOT NULL REFERENCES users (id),
    requested_at  BIGINT NOT NULL,
    answered_by   BIGINT REFERENCES users (id),
    answered_at   BIGINT,
    accepted      BOOLEAN
);
CREATE INDEX case_handovers_case ON case_handovers (case_id);
CREATE INDEX case_handovers_to ON case_handovers (to_region, answered_at);

-- 一月一报告: a school's monthly figures, submitted, signed by the principal, then locked.
CREATE TABLE dropout_reports (
    id            INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    school_id     BIGINT NOT NULL REFERENCES schools (id),
    school_region TEXT NOT NULL,
    month         TEXT NOT NULL,
    figures       TEXT NOT NULL,
    note          TEXT,
    submitted_by  BIGINT NOT NULL REFERENCES users (id),
    submitted_at  BIGINT NOT NULL,
    signed_by     BIGINT REFERENCES users (id),
    signed_at     BIGINT
);
CREATE UNIQUE INDEX dropout_reports_school_month ON dropout_reports (school_id, month);
CREATE INDEX dropout_reports_region ON dropout_reports (school_region, month);

-- 送教上门 periods (课时) are counted from care records of that kind; the count is kept plain.
ALTER TABLE care_records ADD COLUMN periods INTEGER;

-- Roll calls can now be recorded, so the roll-call duty is switched on where it was held back.
UPDATE duty_rules SET enabled = TRUE WHERE code = 'roll_call' AND region_code IS NULL;
