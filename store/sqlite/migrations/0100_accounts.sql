-- Accounts, sessions, API tokens and the audit log (issue 6). Numbered
-- from 0100 so they never collide with the registry and data migrations.
-- Keep in step with store/postgres/migrations/0100_accounts.sql.

CREATE TABLE app_user (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL,
    region_code   TEXT NOT NULL DEFAULT '',
    enterprise    TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created       INTEGER NOT NULL,
    updated       INTEGER NOT NULL
);

CREATE TABLE app_session (
    id_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    csrf    TEXT NOT NULL,
    remote  TEXT NOT NULL DEFAULT '',
    created INTEGER NOT NULL,
    expires INTEGER NOT NULL
);
CREATE INDEX app_session_user ON app_session (user_id);

CREATE TABLE api_token (
    id        INTEGER PRIMARY KEY,
    user_id   INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    name      TEXT NOT NULL,
    hash      TEXT NOT NULL UNIQUE,
    scopes    TEXT NOT NULL DEFAULT '',
    created   INTEGER NOT NULL,
    expires   INTEGER NOT NULL DEFAULT 0,
    last_used INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_token_user ON api_token (user_id);

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    t         INTEGER NOT NULL,
    actor     TEXT NOT NULL DEFAULT '',
    action    TEXT NOT NULL,
    object    TEXT NOT NULL DEFAULT '',
    detail    TEXT NOT NULL DEFAULT '',
    remote    TEXT NOT NULL DEFAULT '',
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX audit_log_t ON audit_log (t);
