-- ecowatch schema, PostgreSQL dialect. Keep in step with
-- store/sqlite/migrations/0001_init.sql: same tables, same columns; the
-- time series here are partitioned by month (partitions are created on
-- demand by the store, named <table>_pYYYYMM, cut in China Standard Time).

CREATE TABLE region (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    level       text NOT NULL,
    parent_code text REFERENCES region (code),
    outline     text
);

CREATE TABLE department (
    code text PRIMARY KEY,
    name text NOT NULL
);

CREATE TABLE enterprise (
    credit_code   text PRIMARY KEY,
    name          text NOT NULL,
    region_code   text NOT NULL REFERENCES region (code),
    industry_code text NOT NULL DEFAULT '',
    address       text NOT NULL DEFAULT '',
    lon           double precision NOT NULL DEFAULT 0,
    lat           double precision NOT NULL DEFAULT 0,
    key_units     text NOT NULL DEFAULT '',
    permit_number text NOT NULL DEFAULT '',
    contact       text NOT NULL DEFAULT '',
    contact_phone text NOT NULL DEFAULT ''
);

CREATE TABLE point (
    id              bigserial PRIMARY KEY,
    code            text NOT NULL UNIQUE,
    name            text NOT NULL,
    kind            text NOT NULL,
    region_code     text NOT NULL REFERENCES region (code),
    enterprise_code text REFERENCES enterprise (credit_code),
    lon             double precision NOT NULL DEFAULT 0,
    lat             double precision NOT NULL DEFAULT 0,
    level           text NOT NULL DEFAULT '',
    background      boolean NOT NULL DEFAULT false,
    in_city_average boolean NOT NULL DEFAULT false,
    water_body      text NOT NULL DEFAULT '',
    target_class    integer NOT NULL DEFAULT 0,
    factors         text NOT NULL DEFAULT '[]'
);

CREATE TABLE device (
    mn               text PRIMARY KEY,
    password         text NOT NULL DEFAULT '',
    protocol_version text NOT NULL,
    quirks           text NOT NULL DEFAULT '',
    point_code       text REFERENCES point (code),
    state            text NOT NULL
);

CREATE TABLE emission_limit (
    point_code   text NOT NULL REFERENCES point (code),
    factor       text NOT NULL,
    standard     text NOT NULL,
    valid_from   text NOT NULL,
    valid_to     text NOT NULL DEFAULT '',
    value        double precision NOT NULL,
    reference_o2 double precision,
    PRIMARY KEY (point_code, factor, standard, valid_from)
);

CREATE TABLE target (
    region_code text NOT NULL REFERENCES region (code),
    year        integer NOT NULL,
    indicator   text NOT NULL,
    name        text NOT NULL DEFAULT '',
    value       double precision NOT NULL,
    unit        text NOT NULL DEFAULT '',
    comparison  text NOT NULL,
    source      text NOT NULL DEFAULT '',
    PRIMARY KEY (region_code, year, indicator)
);

-- Raw frames are evidence: inserted, deleted by retention, never updated.
CREATE TABLE raw_frame (
    id          bigserial,
    received    timestamptz NOT NULL,
    remote      text NOT NULL,
    mn          text NOT NULL,
    cn          text NOT NULL,
    qn          text NOT NULL,
    raw         bytea NOT NULL,
    verdict     text NOT NULL,
    diagnostics text NOT NULL,
    PRIMARY KEY (id, received)
) PARTITION BY RANGE (received);
CREATE INDEX raw_frame_mn ON raw_frame (mn, id);
CREATE INDEX raw_frame_received ON raw_frame (received);

CREATE FUNCTION raw_frame_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'raw frames are evidence and are never altered';
END
$$;
CREATE TRIGGER raw_frame_immutable BEFORE UPDATE ON raw_frame
    FOR EACH ROW EXECUTE FUNCTION raw_frame_immutable();

-- One row per point, interval kind (CN) and time holds all its factors,
-- packed (see store/internal/sqlstore/packed.go).
CREATE TABLE measurement (
    point_id bigint NOT NULL,
    kind     smallint NOT NULL,
    t        timestamptz NOT NULL,
    data     bytea NOT NULL,
    PRIMARY KEY (point_id, kind, t)
) PARTITION BY RANGE (t);
