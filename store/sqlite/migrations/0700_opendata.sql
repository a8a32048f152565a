-- Open data API keys (issue 12): requested by anyone through the public
-- form, approved or rejected by an administrator. Only the SHA-256 of a
-- key is kept. Keep in step with store/postgres/migrations/0700_opendata.sql.

CREATE TABLE opendata_key (
    id           INTEGER PRIMARY KEY,
    hash         TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    name         TEXT NOT NULL,
    organisation TEXT NOT NULL DEFAULT '',
    email        TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    status       TEXT NOT NULL,
    remote       TEXT NOT NULL DEFAULT '',
    created      INTEGER NOT NULL,
    decided      INTEGER NOT NULL DEFAULT 0,
    decided_by   TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX opendata_key_status ON opendata_key (status, id);
