-- Alarms and their notifications (issue 7, package alarm). Keep in step
-- with store/sqlite/migrations/0200_alarms.sql.

-- One row per alarm; at most one open (open or acknowledged) per
-- (rule, point, factor, mn): a condition that comes back counts a repeat.
CREATE TABLE alarm (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule           TEXT NOT NULL,
    point          TEXT NOT NULL DEFAULT '',
    factor         TEXT NOT NULL DEFAULT '',
    mn             TEXT NOT NULL DEFAULT '',
    region         TEXT NOT NULL DEFAULT '',
    enterprise     TEXT NOT NULL DEFAULT '',
    severity       TEXT NOT NULL,
    state          TEXT NOT NULL,
    opened         BIGINT NOT NULL,
    updated        BIGINT NOT NULL,
    closed         BIGINT NOT NULL DEFAULT 0,
    value          DOUBLE PRECISION NOT NULL DEFAULT 0,
    threshold      DOUBLE PRECISION NOT NULL DEFAULT 0,
    message        TEXT NOT NULL DEFAULT '',
    repeats        BIGINT NOT NULL DEFAULT 0,
    acked_by       TEXT NOT NULL DEFAULT '',
    acked_at       BIGINT NOT NULL DEFAULT 0,
    dismissed_by   TEXT NOT NULL DEFAULT '',
    dismiss_reason TEXT NOT NULL DEFAULT '',
    case_id        BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX alarm_one_open ON alarm (rule, point, factor, mn) WHERE state IN ('open', 'acknowledged');
CREATE INDEX alarm_opened ON alarm (opened);
CREATE INDEX alarm_state ON alarm (state, severity);

-- Everything that happened to an alarm, in order.
CREATE TABLE alarm_event (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alarm_id BIGINT NOT NULL REFERENCES alarm (id) ON DELETE CASCADE,
    t        BIGINT NOT NULL,
    action   TEXT NOT NULL,
    actor    TEXT NOT NULL DEFAULT '',
    detail   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alarm_event_alarm ON alarm_event (alarm_id, id);

-- Overrides of a rule's defaults for a scope ('' = every point).
CREATE TABLE alarm_setting (
    rule       TEXT NOT NULL,
    scope      TEXT NOT NULL,
    override   TEXT NOT NULL,
    updated    BIGINT NOT NULL,
    updated_by TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (rule, scope)
);

-- A production line's power-use point and its treatment facility's.
CREATE TABLE alarm_link (
    production TEXT NOT NULL,
    facility   TEXT NOT NULL,
    PRIMARY KEY (production, facility)
);

-- Who wants which alarms, in the UI and by e-mail.
CREATE TABLE alarm_subscription (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      BIGINT NOT NULL,
    rules        TEXT NOT NULL DEFAULT '',
    min_severity TEXT NOT NULL DEFAULT 'low',
    email        TEXT NOT NULL DEFAULT '',
    created      BIGINT NOT NULL
);
CREATE INDEX alarm_subscription_user ON alarm_subscription (user_id);

-- Webhook targets: a generic JSON body, or DingTalk / WeCom robot format.
CREATE TABLE alarm_webhook (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         TEXT NOT NULL,
    url          TEXT NOT NULL,
    format       TEXT NOT NULL,
    min_severity TEXT NOT NULL DEFAULT 'low',
    enabled      BOOLEAN NOT NULL DEFAULT TRUE,
    created      BIGINT NOT NULL
);

-- Every delivery attempt of a notification.
CREATE TABLE alarm_delivery (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alarm_id BIGINT NOT NULL,
    channel  TEXT NOT NULL,
    target   TEXT NOT NULL,
    attempt  BIGINT NOT NULL,
    status   TEXT NOT NULL,
    error    TEXT NOT NULL DEFAULT '',
    t        BIGINT NOT NULL
);
CREATE INDEX alarm_delivery_t ON alarm_delivery (t);
