-- Foundation: the region tree, schools, classes, users, sessions, tokens, throttling and the audit log.
-- Instants are UTC milliseconds since the epoch (BIGINT) so both dialects compare and sort them alike.

CREATE TABLE regions (
    code        TEXT PRIMARY KEY NOT NULL CHECK (char_length(code) = 12),
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,
    parent_code TEXT REFERENCES regions (code),
    urban_rural TEXT
);
CREATE INDEX regions_parent ON regions (parent_code);

CREATE TABLE schools (
    id          BIGSERIAL PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions (code),
    kind        TEXT NOT NULL,
    boarding    BOOLEAN NOT NULL DEFAULT FALSE,
    hotline     TEXT,
    address     TEXT,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX schools_region ON schools (region_code);

CREATE TABLE users (
    id                   BIGSERIAL PRIMARY KEY,
    username             TEXT NOT NULL UNIQUE,
    display_name         TEXT NOT NULL,
    password_hash        TEXT NOT NULL,
    role                 TEXT NOT NULL,
    region_code          TEXT NOT NULL REFERENCES regions (code),
    school_id            BIGINT REFERENCES schools (id),
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    disabled             BOOLEAN NOT NULL DEFAULT FALSE,
    locale               TEXT,
    version              INTEGER NOT NULL DEFAULT 1,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE INDEX users_region ON users (region_code);

CREATE TABLE classes (
    id          BIGSERIAL PRIMARY KEY,
    school_id   BIGINT NOT NULL REFERENCES schools (id),
    school_year INTEGER NOT NULL,
    grade       INTEGER NOT NULL,
    name        TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (school_id, school_year, name)
);

CREATE TABLE class_head_teachers (
    class_id BIGINT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    user_id  BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (class_id, user_id)
);
CREATE INDEX class_head_teachers_user ON class_head_teachers (user_id);

CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY NOT NULL,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    csrf_token   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE login_failures (
    id       BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL,
    address  TEXT NOT NULL,
    at       BIGINT NOT NULL
);
CREATE INDEX login_failures_username ON login_failures (username, at);
CREATE INDEX login_failures_address ON login_failures (address, at);

CREATE TABLE audit_events (
    id          BIGSERIAL PRIMARY KEY,
    at          BIGINT NOT NULL,
    actor_id    BIGINT,
    actor_name  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    target      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    address     TEXT,
    region_code TEXT
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_actor ON audit_events (actor_id, at);
