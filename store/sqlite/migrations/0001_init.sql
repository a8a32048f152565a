-- ecowatch schema, SQLite dialect. Keep in step with
-- store/postgres/migrations/0001_init.sql: same tables, same columns.

CREATE TABLE region (
    code        TEXT PRIMARY KEY,          -- GB/T 2260
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,
    parent_code TEXT REFERENCES region (code),
    outline     TEXT                       -- GeoJSON geometry
);

CREATE TABLE department (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE enterprise (
    credit_code   TEXT PRIMARY KEY,        -- GB 32100-2015
    name          TEXT NOT NULL,
    region_code   TEXT NOT NULL REFERENCES region (code),
    industry_code TEXT NOT NULL DEFAULT '',
    address       TEXT NOT NULL DEFAULT '',
    lon           REAL NOT NULL DEFAULT 0,
    lat           REAL NOT NULL DEFAULT 0,
    key_units     TEXT NOT NULL DEFAULT '',
    permit_number TEXT NOT NULL DEFAULT '',
    contact       TEXT NOT NULL DEFAULT '',
    contact_phone TEXT NOT NULL DEFAULT ''
);

CREATE TABLE point (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    region_code     TEXT NOT NULL REFERENCES region (code),
    enterprise_code TEXT REFERENCES enterprise (credit_code),
    lon             REAL NOT NULL DEFAULT 0,
    lat             REAL NOT NULL DEFAULT 0,
    level           TEXT NOT NULL DEFAULT '',
    background      BOOLEAN NOT NULL DEFAULT FALSE,
    in_city_average BOOLEAN NOT NULL DEFAULT FALSE,
    water_body      TEXT NOT NULL DEFAULT '',
    target_class    INTEGER NOT NULL DEFAULT 0,
    factors         TEXT NOT NULL DEFAULT '[]'   -- JSON [{Code, Name, Unit}]
);

CREATE TABLE device (
    mn               TEXT PRIMARY KEY,
    password         TEXT NOT NULL DEFAULT '',
    protocol_version TEXT NOT NULL,
    quirks           TEXT NOT NULL DEFAULT '',
    point_code       TEXT REFERENCES point (code),
    state            TEXT NOT NULL
);

CREATE TABLE emission_limit (
    point_code   TEXT NOT NULL REFERENCES point (code),
    factor       TEXT NOT NULL,
    standard     TEXT NOT NULL,
    valid_from   TEXT NOT NULL,            -- YYYY-MM-DD, China Standard Time
    valid_to     TEXT NOT NULL DEFAULT '', -- empty: open-ended
    value        REAL NOT NULL,
    reference_o2 REAL,
    PRIMARY KEY (point_code, factor, standard, valid_from)
);

CREATE TABLE target (
    region_code TEXT NOT NULL REFERENCES region (code),
    year        INTEGER NOT NULL,
    indicator   TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    value       REAL NOT NULL,
    unit        TEXT NOT NULL DEFAULT '',
    comparison  TEXT NOT NULL,
    source      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (region_code, year, indicator)
);

-- Raw frames are evidence: inserted, deleted by retention, never updated.
CREATE TABLE raw_frame (
    id          INTEGER PRIMARY KEY,
    received    INTEGER NOT NULL,          -- Unix seconds
    remote      TEXT NOT NULL,
    mn          TEXT NOT NULL,
    cn          TEXT NOT NULL,
    qn          TEXT NOT NULL,
    raw         BLOB NOT NULL,
    verdict     TEXT NOT NULL,
    diagnostics TEXT NOT NULL
);
CREATE INDEX raw_frame_mn ON raw_frame (mn, id);
CREATE INDEX raw_frame_received ON raw_frame (received);
CREATE TRIGGER raw_frame_immutable BEFORE UPDATE ON raw_frame
BEGIN
    SELECT RAISE(ABORT, 'raw frames are evidence and are never altered');
END;

-- One row per point, interval kind (CN) and time holds all its factors,
-- packed (see store/internal/sqlstore/packed.go). WITHOUT ROWID clusters
-- the rows on the key, so a point's day is one contiguous range.
CREATE TABLE measurement (
    point_id INTEGER NOT NULL,
    kind     INTEGER NOT NULL,
    t        INTEGER NOT NULL,             -- Unix seconds, interval start
    data     BLOB NOT NULL,
    PRIMARY KEY (point_id, kind, t)
) WITHOUT ROWID;
