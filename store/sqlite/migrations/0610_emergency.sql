-- Risk sources, hazard checks, emergency plans, resources (experts, material
-- stores, response teams) and incidents (package emergency, issue 11).
-- Keep in step with the other dialect's 0610_emergency.sql.

CREATE TABLE em_risk_source (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,
    name            TEXT NOT NULL,
    region_code     TEXT NOT NULL,
    enterprise_code TEXT NOT NULL DEFAULT '',
    address         TEXT NOT NULL DEFAULT '',
    lon             DOUBLE PRECISION NOT NULL,
    lat             DOUBLE PRECISION NOT NULL,
    substances      TEXT NOT NULL DEFAULT '[]',
    assessed_level  TEXT NOT NULL, -- from the source's risk assessment
    level           TEXT NOT NULL, -- assessed, raised by dynamic tracking
    level_basis     TEXT NOT NULL,
    responsible     TEXT NOT NULL DEFAULT '',
    phone           TEXT NOT NULL DEFAULT '',
    plan_id         BIGINT NOT NULL DEFAULT 0,
    simulated       BOOLEAN NOT NULL DEFAULT FALSE,
    created         BIGINT NOT NULL,
    updated         BIGINT NOT NULL
);
CREATE INDEX em_risk_source_region ON em_risk_source (region_code);

CREATE TABLE em_level_change (
    id          INTEGER PRIMARY KEY,
    source_id   BIGINT NOT NULL REFERENCES em_risk_source (id) ON DELETE CASCADE,
    t           BIGINT NOT NULL,
    from_level  TEXT NOT NULL,
    to_level    TEXT NOT NULL,
    reason_kind TEXT NOT NULL,
    reason      TEXT NOT NULL,
    actor       TEXT NOT NULL
);
CREATE INDEX em_level_change_source ON em_level_change (source_id, t);

-- Sensitive receptors: drinking-water sources, schools, hospitals, rivers, …
CREATE TABLE em_receptor (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    region_code TEXT NOT NULL,
    lon         DOUBLE PRECISION NOT NULL,
    lat         DOUBLE PRECISION NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    simulated   BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE em_campaign (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    kinds       TEXT NOT NULL,
    region_code TEXT NOT NULL,
    start_at    BIGINT NOT NULL,
    due_at      BIGINT NOT NULL,
    created     BIGINT NOT NULL,
    created_by  TEXT NOT NULL
);

CREATE TABLE em_check (
    id          INTEGER PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES em_campaign (id) ON DELETE CASCADE,
    source_id   BIGINT NOT NULL REFERENCES em_risk_source (id) ON DELETE CASCADE,
    inspector   TEXT NOT NULL DEFAULT '',
    state       TEXT NOT NULL,
    checked     BIGINT NOT NULL DEFAULT 0,
    results     TEXT NOT NULL DEFAULT '[]',
    hazards     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (campaign_id, source_id)
);

CREATE TABLE em_hazard (
    id        INTEGER PRIMARY KEY,
    check_id  BIGINT NOT NULL REFERENCES em_check (id) ON DELETE CASCADE,
    source_id BIGINT NOT NULL,
    item      TEXT NOT NULL,
    critical  BOOLEAN NOT NULL,
    note      TEXT NOT NULL DEFAULT '',
    case_id   BIGINT NOT NULL DEFAULT 0,
    found     BIGINT NOT NULL,
    resolved  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX em_hazard_source ON em_hazard (source_id);

CREATE TABLE em_plan (
    id          INTEGER PRIMARY KEY,
    owner_kind  TEXT NOT NULL,
    owner       TEXT NOT NULL,
    region_code TEXT NOT NULL,
    source_id   BIGINT NOT NULL DEFAULT 0,
    title       TEXT NOT NULL,
    created     BIGINT NOT NULL
);

CREATE TABLE em_plan_version (
    id          INTEGER PRIMARY KEY,
    plan_id     BIGINT NOT NULL REFERENCES em_plan (id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    summary     TEXT NOT NULL DEFAULT '',
    filed       BIGINT NOT NULL,
    filed_by    TEXT NOT NULL,
    state       TEXT NOT NULL,
    reviewer    TEXT NOT NULL DEFAULT '',
    review_note TEXT NOT NULL DEFAULT '',
    reviewed    BIGINT NOT NULL DEFAULT 0,
    revise_by   BIGINT NOT NULL DEFAULT 0,
    UNIQUE (plan_id, version)
);

CREATE TABLE em_drill (
    id           INTEGER PRIMARY KEY,
    plan_id      BIGINT NOT NULL REFERENCES em_plan (id) ON DELETE CASCADE,
    t            BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    participants INTEGER NOT NULL DEFAULT 0,
    note         TEXT NOT NULL DEFAULT ''
);

CREATE TABLE em_resource (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    region_code TEXT NOT NULL,
    lon         DOUBLE PRECISION NOT NULL,
    lat         DOUBLE PRECISION NOT NULL,
    contact     TEXT NOT NULL DEFAULT '',
    phone       TEXT NOT NULL DEFAULT '',
    org         TEXT NOT NULL DEFAULT '',
    fields      TEXT NOT NULL DEFAULT '[]',
    stock       TEXT NOT NULL DEFAULT '[]',
    members     INTEGER NOT NULL DEFAULT 0,
    simulated   BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX em_resource_kind ON em_resource (kind, region_code);

CREATE TABLE em_incident (
    id             INTEGER PRIMARY KEY,
    title          TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    region_code    TEXT NOT NULL,
    lon            DOUBLE PRECISION NOT NULL,
    lat            DOUBLE PRECISION NOT NULL,
    occurred       BIGINT NOT NULL,
    reported       BIGINT NOT NULL,
    reported_by    TEXT NOT NULL,
    source_id      BIGINT NOT NULL DEFAULT 0,
    facts          TEXT NOT NULL DEFAULT '{}',
    grade          TEXT NOT NULL,
    grade_basis    TEXT NOT NULL DEFAULT '[]',
    state          TEXT NOT NULL,
    closing_report TEXT NOT NULL DEFAULT '',
    closed         BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX em_incident_state ON em_incident (state, region_code);

CREATE TABLE em_action (
    id          INTEGER PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES em_incident (id) ON DELETE CASCADE,
    t           BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX em_action_incident ON em_action (incident_id, t);
