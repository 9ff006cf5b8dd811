-- Child files (一人一档). The whole file as typed is one sealed document (`file_sealed`, AES-256-GCM
-- with the deployment key): ID numbers, phones, addresses, health and notes never sit in clear.
-- The plain columns beside it are projections of that document for filtering, counting and sorting,
-- rewritten on every save; the left-behind calibers are derived as of `lb_as_of` and refreshed by
-- `shouhu jobs run calibers`. `id_hash` is a keyed hash for duplicate checks; `id_last4` is what the
-- masked form shows anyway and serves suffix search. `submit_key` makes a form or API call sent
-- twice create one file. Dates are ISO text (YYYY-MM-DD).

CREATE TABLE children (
    id                BIGSERIAL PRIMARY KEY,
    school_id         BIGINT NOT NULL REFERENCES schools (id),
    class_id          BIGINT REFERENCES classes (id),
    school_region     TEXT NOT NULL,
    residence_region  TEXT NOT NULL REFERENCES regions (code),
    name              TEXT NOT NULL,
    name_pinyin       TEXT NOT NULL,
    name_initials     TEXT NOT NULL,
    sex               TEXT NOT NULL,
    ethnicity         TEXT NOT NULL,
    birth_date        TEXT NOT NULL,
    id_hash           TEXT UNIQUE,
    id_last4          TEXT,
    hukou_type        TEXT,
    schooling         TEXT NOT NULL,
    care_arrangement  TEXT,
    rating            TEXT,
    tags              TEXT NOT NULL DEFAULT '',
    key_child         BOOLEAN NOT NULL DEFAULT FALSE,
    lb_mca            BOOLEAN NOT NULL DEFAULT FALSE,
    lb_xueji          INTEGER NOT NULL DEFAULT 0,
    lb_census         BOOLEAN NOT NULL DEFAULT FALSE,
    lb_as_of          TEXT NOT NULL,
    completeness      INTEGER NOT NULL DEFAULT 0,
    file_sealed       BYTEA NOT NULL,
    submit_key        TEXT UNIQUE,
    version           INTEGER NOT NULL DEFAULT 1,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX children_school ON children (school_id, class_id, name_pinyin, id);
CREATE INDEX children_school_region ON children (school_region);
CREATE INDEX children_residence ON children (residence_region);
CREATE INDEX children_pinyin ON children (name_pinyin, id);
CREATE INDEX children_initials ON children (name_initials);
CREATE INDEX children_last4 ON children (id_last4);
CREATE INDEX children_twin ON children (name, birth_date);

CREATE TABLE child_revisions (
    id         BIGSERIAL PRIMARY KEY,
    child_id   BIGINT NOT NULL REFERENCES children (id),
    at         BIGINT NOT NULL,
    actor_id   BIGINT,
    actor_name TEXT NOT NULL,
    version    INTEGER NOT NULL,
    changes    TEXT NOT NULL
);
CREATE INDEX child_revisions_child ON child_revisions (child_id, version);
