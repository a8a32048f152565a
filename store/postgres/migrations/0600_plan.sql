-- The work plan's tasks, their assignments, progress reports and links
-- (package plan, issue 11). Keep in step with the other dialect's 0600_plan.sql.

CREATE TABLE plan_plan (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    year        INTEGER NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    source_text TEXT NOT NULL DEFAULT '',
    grace_days  INTEGER NOT NULL DEFAULT 10,
    created     BIGINT NOT NULL,
    created_by  TEXT NOT NULL DEFAULT ''
);

CREATE TABLE plan_task (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_id      BIGINT NOT NULL REFERENCES plan_plan (id) ON DELETE CASCADE,
    task_key     TEXT NOT NULL,
    number       INTEGER NOT NULL,
    group_name   TEXT NOT NULL,
    group_number INTEGER NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    by_duty      BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (plan_id, task_key)
);

-- Who carries out a task: its lead departments and every city.
CREATE TABLE plan_assignment (
    task_id    BIGINT NOT NULL REFERENCES plan_task (id) ON DELETE CASCADE,
    party_kind TEXT NOT NULL,
    party_code TEXT NOT NULL,
    party_name TEXT NOT NULL,
    seq        INTEGER NOT NULL, -- the plan's order of the leads, then the cities
    PRIMARY KEY (task_id, party_kind, party_code)
);

CREATE TABLE plan_report (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id     BIGINT NOT NULL REFERENCES plan_task (id) ON DELETE CASCADE,
    party_kind  TEXT NOT NULL,
    party_code  TEXT NOT NULL,
    period      TEXT NOT NULL,
    status      TEXT NOT NULL,
    percent     INTEGER NOT NULL DEFAULT 0,
    body        TEXT NOT NULL DEFAULT '',
    attachments TEXT NOT NULL DEFAULT '[]',
    filed       BIGINT NOT NULL,
    filed_by    TEXT NOT NULL,
    review      TEXT NOT NULL DEFAULT '',
    review_note TEXT NOT NULL DEFAULT '',
    reviewed_by TEXT NOT NULL DEFAULT '',
    reviewed    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX plan_report_task ON plan_report (task_id, party_kind, party_code, period);

-- What measures a task: targets, cases (by source or id), campaigns.
CREATE TABLE plan_link (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id BIGINT NOT NULL REFERENCES plan_task (id) ON DELETE CASCADE,
    kind    TEXT NOT NULL,
    ref     TEXT NOT NULL,
    note    TEXT NOT NULL DEFAULT '',
    UNIQUE (task_id, kind, ref)
);
