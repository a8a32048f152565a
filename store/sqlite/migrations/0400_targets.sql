-- Targets, indicator registries, generated reports and import checkpoints
-- (issue 8). Keep in step with store/postgres/migrations/0400_targets.sql.
-- The targets themselves stay in the registry's target table; this keeps
-- the history of their edits.

CREATE TABLE targets_edit (
    id          INTEGER PRIMARY KEY,
    t           INTEGER NOT NULL,
    actor       TEXT NOT NULL DEFAULT '',
    region_code TEXT NOT NULL,
    year        INTEGER NOT NULL,
    indicator   TEXT NOT NULL,
    old_value   REAL,
    new_value   REAL NOT NULL,
    comparison  TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    unit        TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX targets_edit_key ON targets_edit (region_code, year, indicator);

-- One row per item of the small indicator registries: farmland (安全利用 /
-- 严格管控 areas per county), contaminated sites, black-odorous water
-- bodies and drinking-water sources, so every registry figure has rows a
-- user can open.
CREATE TABLE targets_item (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    code         TEXT NOT NULL,
    year         INTEGER NOT NULL,
    name         TEXT NOT NULL,
    region_code  TEXT NOT NULL,
    done         BOOLEAN NOT NULL DEFAULT FALSE,
    safe_area    REAL NOT NULL DEFAULT 0,
    strict_area  REAL NOT NULL DEFAULT 0,
    water_class  INTEGER NOT NULL DEFAULT 0,
    source       TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    updated      INTEGER NOT NULL,
    UNIQUE (kind, code, year)
);
CREATE INDEX targets_item_kind ON targets_item (kind, year, region_code);

CREATE TABLE targets_report (
    id       INTEGER PRIMARY KEY,
    kind     TEXT NOT NULL,
    period   TEXT NOT NULL,
    created  INTEGER NOT NULL,
    actor    TEXT NOT NULL DEFAULT '',
    body     TEXT NOT NULL,
    UNIQUE (kind, period)
);

CREATE TABLE targets_import_checkpoint (
    file_hash TEXT PRIMARY KEY,
    layout    TEXT NOT NULL,
    name      TEXT NOT NULL DEFAULT '',
    line      INTEGER NOT NULL,
    done      BOOLEAN NOT NULL DEFAULT FALSE,
    updated   INTEGER NOT NULL
);
