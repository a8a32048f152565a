-- Rectification cases, their timelines, public complaints and attachment
-- metadata (issue 7, package casework). Times are Unix seconds, lists are
-- JSON text. Keep in step with store/postgres/migrations/0300_casework.sql.

CREATE TABLE rect_case (
    id                INTEGER PRIMARY KEY,
    title             TEXT NOT NULL,
    description       TEXT NOT NULL DEFAULT '',
    source            TEXT NOT NULL,
    source_ref        TEXT NOT NULL DEFAULT '',
    category          TEXT NOT NULL,
    severity          TEXT NOT NULL,
    region_code       TEXT NOT NULL,
    enterprise_code   TEXT NOT NULL DEFAULT '',
    point_code        TEXT NOT NULL DEFAULT '',
    lead_department   TEXT NOT NULL DEFAULT '',
    responsible_units TEXT NOT NULL DEFAULT '[]',
    deadline          INTEGER NOT NULL,
    state             TEXT NOT NULL,
    level             INTEGER NOT NULL DEFAULT 0,
    assignee          TEXT NOT NULL DEFAULT '',
    plan              TEXT NOT NULL DEFAULT '',
    milestones        TEXT NOT NULL DEFAULT '[]',
    submitted_by      TEXT NOT NULL DEFAULT '',
    verified_by       TEXT NOT NULL DEFAULT '',
    verify_method     TEXT NOT NULL DEFAULT '',
    closed_by         TEXT NOT NULL DEFAULT '',
    recurrences       INTEGER NOT NULL DEFAULT 0,
    created_by        TEXT NOT NULL DEFAULT '',
    created           INTEGER NOT NULL,
    updated           INTEGER NOT NULL,
    closed_at         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX rect_case_source_ref ON rect_case (source_ref);
CREATE INDEX rect_case_state ON rect_case (state, deadline);
CREATE INDEX rect_case_region ON rect_case (region_code);

CREATE TABLE case_event (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES rect_case (id),
    t          INTEGER NOT NULL,
    actor      TEXT NOT NULL DEFAULT '',
    action     TEXT NOT NULL,
    from_state TEXT NOT NULL DEFAULT '',
    to_state   TEXT NOT NULL DEFAULT '',
    note       TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_event_case ON case_event (case_id, id);

CREATE TABLE complaint (
    id              INTEGER PRIMARY KEY,
    tracking_code   TEXT NOT NULL UNIQUE,
    what            TEXT NOT NULL,
    address         TEXT NOT NULL DEFAULT '',
    lon             REAL NOT NULL DEFAULT 0,
    lat             REAL NOT NULL DEFAULT 0,
    has_point       BOOLEAN NOT NULL DEFAULT FALSE,
    happened        INTEGER NOT NULL DEFAULT 0,
    contact         TEXT NOT NULL DEFAULT '',
    anonymous       BOOLEAN NOT NULL DEFAULT FALSE,
    region_code     TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL,
    merged_into     INTEGER NOT NULL DEFAULT 0,
    result          TEXT NOT NULL DEFAULT '',
    feedback        TEXT NOT NULL DEFAULT '',
    note            TEXT NOT NULL DEFAULT '',
    reward_decision TEXT NOT NULL DEFAULT '',
    reward_amount   INTEGER NOT NULL DEFAULT 0,
    case_id         INTEGER NOT NULL DEFAULT 0,
    remote          TEXT NOT NULL DEFAULT '',
    created         INTEGER NOT NULL,
    updated         INTEGER NOT NULL
);
CREATE INDEX complaint_state ON complaint (state, created);
CREATE INDEX complaint_remote ON complaint (remote, created);

-- An attachment belongs to a case event (a progress report's photos) or
-- a complaint; the file itself is content-addressed by sha256.
CREATE TABLE attachment (
    id           INTEGER PRIMARY KEY,
    owner_kind   TEXT NOT NULL,
    owner_id     INTEGER NOT NULL,
    event_id     INTEGER NOT NULL DEFAULT 0,
    sha256       TEXT NOT NULL,
    size         INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL DEFAULT '',
    created      INTEGER NOT NULL
);
CREATE INDEX attachment_owner ON attachment (owner_kind, owner_id);

-- The audit history of one object (a case's or a device's page).
CREATE INDEX audit_log_object ON audit_log (object, id);
