-- Care work (issue 5): school calendars, pairings, care records, group events, help plans, duty
-- rules and the duty instances derived from them. Free text about a child (notes, minutes, plan
-- content) is sealed with the deployment key; dates, kinds and owners stay plain for counting.

-- One calendar per owner and school year: a region's (normally the county's) or a school's own,
-- which replaces the region's for that school. The body is the domain `Calendar` as JSON.
CREATE TABLE calendars (
    id          BIGSERIAL PRIMARY KEY,
    region_code TEXT REFERENCES regions (code),
    school_id   BIGINT REFERENCES schools (id),
    school_year INTEGER NOT NULL,
    body        TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    updated_by  TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX calendars_region ON calendars (region_code, school_year) WHERE school_id IS NULL;
CREATE UNIQUE INDEX calendars_school ON calendars (school_id, school_year) WHERE school_id IS NOT NULL;

-- 结对帮扶: who looks after a child, from when to when. The partner is a user, another pupil
-- (学习帮手) or only a name (a volunteer without an account).
CREATE TABLE pairings (
    id             BIGSERIAL PRIMARY KEY,
    child_id       BIGINT NOT NULL REFERENCES children (id),
    kind           TEXT NOT NULL,
    user_id        BIGINT REFERENCES users (id),
    buddy_child_id BIGINT REFERENCES children (id),
    partner_name   TEXT NOT NULL,
    from_date      TEXT NOT NULL,
    to_date        TEXT,
    note           TEXT NOT NULL DEFAULT '',
    created_by     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    ended_by       TEXT
);
CREATE INDEX pairings_child ON pairings (child_id, from_date);
CREATE INDEX pairings_user ON pairings (user_id, to_date);

-- 谈心, 家访, 亲情联系 …: one row per record; `entered_on` (Beijing date of entry) tells a duty
-- done on time from one written up late. Deleted records stay, marked, for the audit trail.
CREATE TABLE care_records (
    id            BIGSERIAL PRIMARY KEY,
    child_id      BIGINT NOT NULL REFERENCES children (id),
    school_id     BIGINT NOT NULL REFERENCES schools (id),
    school_region TEXT NOT NULL,
    kind          TEXT NOT NULL,
    record_date   TEXT NOT NULL,
    entered_on    TEXT NOT NULL,
    author_id     BIGINT REFERENCES users (id),
    author_name   TEXT NOT NULL,
    author_role   TEXT NOT NULL,
    confidential  BOOLEAN NOT NULL DEFAULT FALSE,
    body_sealed   BYTEA NOT NULL,
    submit_key    TEXT UNIQUE,
    deleted_at    BIGINT,
    deleted_by    TEXT,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX care_records_child ON care_records (child_id, kind, record_date);
CREATE INDEX care_records_school ON care_records (school_id, record_date);
CREATE INDEX care_records_author ON care_records (author_id, record_date);

-- 监护人会议, 座谈会, 家长学校, 主题班会: a school's (or a class's) event with its attendees.
CREATE TABLE group_events (
    id            BIGSERIAL PRIMARY KEY,
    school_id     BIGINT NOT NULL REFERENCES schools (id),
    school_region TEXT NOT NULL,
    class_id      BIGINT REFERENCES classes (id),
    kind          TEXT NOT NULL,
    event_date    TEXT NOT NULL,
    entered_on    TEXT NOT NULL,
    title         TEXT NOT NULL,
    body_sealed   BYTEA NOT NULL,
    author_id     BIGINT REFERENCES users (id),
    author_name   TEXT NOT NULL,
    submit_key    TEXT UNIQUE,
    deleted_at    BIGINT,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX group_events_school ON group_events (school_id, event_date);

CREATE TABLE group_event_children (
    event_id BIGINT NOT NULL REFERENCES group_events (id),
    child_id BIGINT NOT NULL REFERENCES children (id),
    PRIMARY KEY (event_id, child_id)
);
CREATE INDEX group_event_children_child ON group_event_children (child_id);

-- 帮扶计划 / 个别教育方案: one per key child and term, signed off by the principal.
CREATE TABLE help_plans (
    id            BIGSERIAL PRIMARY KEY,
    child_id      BIGINT NOT NULL REFERENCES children (id),
    school_id     BIGINT NOT NULL REFERENCES schools (id),
    school_region TEXT NOT NULL,
    term_key      TEXT NOT NULL,
    status        TEXT NOT NULL,
    body_sealed   BYTEA NOT NULL,
    author_id     BIGINT REFERENCES users (id),
    author_name   TEXT NOT NULL,
    entered_on    TEXT NOT NULL,
    signed_by     TEXT,
    signed_at     BIGINT,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX help_plans_term ON help_plans (child_id, term_key);
CREATE INDEX help_plans_school ON help_plans (school_id, term_key);

-- Duty rules as data: national defaults (region NULL) and a county's own, which replace the
-- default of the same code inside the county. The body is the domain `DutyRule` as JSON.
CREATE TABLE duty_rules (
    id          BIGSERIAL PRIMARY KEY,
    region_code TEXT REFERENCES regions (code),
    code        TEXT NOT NULL,
    body        TEXT NOT NULL,
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    version     INTEGER NOT NULL DEFAULT 1,
    updated_by  TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX duty_rules_default ON duty_rules (code) WHERE region_code IS NULL;
CREATE UNIQUE INDEX duty_rules_county ON duty_rules (region_code, code) WHERE region_code IS NOT NULL;

-- One row per (rule, subject, period), generated idempotently; status kept current on every
-- relevant write and by the nightly job. About 40 rows per child and school year.
CREATE TABLE duties (
    id               BIGSERIAL PRIMARY KEY,
    rule_id          BIGINT NOT NULL REFERENCES duty_rules (id),
    rule_code        TEXT NOT NULL,
    subject_kind     TEXT NOT NULL,
    subject_id       BIGINT NOT NULL,
    class_id         BIGINT,
    school_id        BIGINT NOT NULL,
    school_region    TEXT NOT NULL,
    responsible_role TEXT NOT NULL,
    period_key       TEXT NOT NULL,
    window_start     TEXT NOT NULL,
    window_end       TEXT NOT NULL,
    due_date         TEXT NOT NULL,
    required         INTEGER NOT NULL,
    done_count       INTEGER NOT NULL DEFAULT 0,
    status           TEXT NOT NULL,
    done_on          TEXT,
    waived_reason    TEXT,
    updated_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX duties_key ON duties (subject_kind, subject_id, rule_code, period_key);
-- The nightly job's only scan: open duties whose due date has passed.
CREATE INDEX duties_open ON duties (due_date) WHERE status = 'open';
CREATE INDEX duties_school ON duties (school_id, due_date);
CREATE INDEX duties_region ON duties (school_region, due_date);

-- The last date each background job completed, so a missed night is caught up.
CREATE TABLE job_runs (
    job         TEXT PRIMARY KEY NOT NULL,
    last_date   TEXT NOT NULL,
    finished_at BIGINT NOT NULL
);
