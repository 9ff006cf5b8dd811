-- Transfers of a child to another school (转学): the sending side asks, the receiving school
-- accepts or declines. Until it accepts, the child stays with the sending school, so the child
-- always has an owner; every request stays as history.
CREATE TABLE child_transfers (
    id             INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    child_id       BIGINT NOT NULL REFERENCES children (id),
    from_school_id BIGINT NOT NULL REFERENCES schools (id),
    to_school_id   BIGINT NOT NULL REFERENCES schools (id),
    reason         TEXT NOT NULL,
    status         TEXT NOT NULL,
    requested_by   TEXT NOT NULL,
    requested_at   BIGINT NOT NULL,
    decided_by     TEXT,
    decided_at     BIGINT
);
CREATE INDEX child_transfers_to ON child_transfers (to_school_id, status);
CREATE INDEX child_transfers_child ON child_transfers (child_id);

-- The daily caliber refresh looks for files derived on an earlier day.
CREATE INDEX children_lb_as_of ON children (lb_as_of);
