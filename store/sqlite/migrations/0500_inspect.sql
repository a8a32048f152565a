-- Random inspections (双随机、一公开, issue 10): the inspector pool and its
-- conflict-of-interest links, draws (frozen pool snapshots with their
-- hashes, then the seed and the result; never edited once drawn), tasks
-- with their officers, inspection records with findings and attachments,
-- and in-app notifications to the drawn officers.
-- Keep in step with store/postgres/migrations/0500_inspect.sql.

CREATE TABLE inspect_officer (
    username          TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    region_code       TEXT NOT NULL,
    home_county       TEXT NOT NULL DEFAULT '',
    certificate       TEXT NOT NULL DEFAULT '',
    certificate_until TEXT NOT NULL DEFAULT '',
    available         BOOLEAN NOT NULL DEFAULT TRUE,
    updated           INTEGER NOT NULL
);

CREATE TABLE inspect_link (
    username    TEXT NOT NULL REFERENCES inspect_officer (username) ON DELETE CASCADE,
    credit_code TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (username, credit_code)
);

CREATE TABLE inspect_draw (
    id               INTEGER PRIMARY KEY,
    region_code      TEXT NOT NULL,
    period           TEXT NOT NULL,
    plan             TEXT NOT NULL,
    plan_hash        TEXT NOT NULL,
    enterprise_pool  TEXT NOT NULL,
    enterprise_hash  TEXT NOT NULL,
    officer_pool     TEXT NOT NULL,
    officer_hash     TEXT NOT NULL,
    enterprise_count INTEGER NOT NULL,
    officer_count    INTEGER NOT NULL,
    state            TEXT NOT NULL,
    seed             TEXT NOT NULL DEFAULT '',
    seed_source      TEXT NOT NULL DEFAULT '',
    result           TEXT NOT NULL DEFAULT '',
    refusal          TEXT NOT NULL DEFAULT '',
    redraw_of        INTEGER NOT NULL DEFAULT 0,
    reason           TEXT NOT NULL DEFAULT '',
    created_by       TEXT NOT NULL,
    frozen_at        INTEGER NOT NULL,
    drawn_at         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX inspect_draw_region ON inspect_draw (region_code, period);

CREATE TABLE inspect_task (
    id              INTEGER PRIMARY KEY,
    source          TEXT NOT NULL,
    source_ref      TEXT NOT NULL DEFAULT '',
    draw_id         INTEGER NOT NULL DEFAULT 0,
    team            INTEGER NOT NULL DEFAULT 0,
    grp             TEXT NOT NULL DEFAULT '',
    credit_code     TEXT NOT NULL,
    enterprise_name TEXT NOT NULL,
    region_code     TEXT NOT NULL,
    industry        TEXT NOT NULL DEFAULT '',
    period          TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL,
    created         INTEGER NOT NULL,
    result          TEXT NOT NULL DEFAULT '',
    checklist       TEXT NOT NULL DEFAULT '',
    findings        TEXT NOT NULL DEFAULT '',
    summary         TEXT NOT NULL DEFAULT '',
    case_id         INTEGER NOT NULL DEFAULT 0,
    minutes         INTEGER NOT NULL DEFAULT 0,
    inspected_on    TEXT NOT NULL DEFAULT '',
    completed_by    TEXT NOT NULL DEFAULT '',
    completed       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX inspect_task_draw ON inspect_task (draw_id);
CREATE INDEX inspect_task_enterprise ON inspect_task (credit_code);

CREATE TABLE inspect_task_officer (
    task_id  INTEGER NOT NULL REFERENCES inspect_task (id) ON DELETE CASCADE,
    username TEXT NOT NULL,
    PRIMARY KEY (task_id, username)
);
CREATE INDEX inspect_task_officer_user ON inspect_task_officer (username);

CREATE TABLE inspect_attachment (
    id           INTEGER PRIMARY KEY,
    task_id      INTEGER NOT NULL REFERENCES inspect_task (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    data         BLOB NOT NULL,
    created_by   TEXT NOT NULL,
    created      INTEGER NOT NULL
);
CREATE INDEX inspect_attachment_task ON inspect_attachment (task_id);

CREATE TABLE inspect_notification (
    id       INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    task_id  INTEGER NOT NULL DEFAULT 0,
    message  TEXT NOT NULL,
    created  INTEGER NOT NULL,
    read_at  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX inspect_notification_user ON inspect_notification (username, id);
