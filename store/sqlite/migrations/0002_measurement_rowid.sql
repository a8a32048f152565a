-- SQLite only: the measurement table becomes a rowid table clustered by a
-- key computed from (point, kind, time), in the same order as before:
--
--   id = point_id << 35 | kind index << 32 | t
--
-- kind index 0..3 for CN 2011, 2031, 2051, 2061 (in CN order, so rows keep
-- their (point_id, kind, t) order) and t the Unix seconds as an unsigned
-- 32-bit number (1970-01-01 to 2106-02-07 UTC); point ids below 2^28. A
-- point's day is still one contiguous range of id. The WITHOUT ROWID table
-- held whole rows (~250 bytes) in its interior pages, so its tree was deep
-- and every leaf split rewrote large parents; interior cells of a rowid
-- table are 8-byte keys. store/sqlite/sqlite.go computes the key and
-- store/README.md has the measurements.
--
-- PostgreSQL keeps its table; this number is unused there.

-- Rows the key cannot hold (a device clock before 1970 or after 2106 UTC)
-- are set aside, not cut and not a reason to refuse to start after an
-- upgrade: measurement_unkeyed keeps them as they were, outside the API;
-- their raw frames stay in raw_frame. The store README says how to look.
CREATE TABLE measurement_unkeyed AS
SELECT point_id, kind, t, data FROM measurement
WHERE t < 0 OR t > 4294967295 OR point_id < 0 OR point_id >= 268435456
   OR kind NOT IN (2011, 2031, 2051, 2061);

CREATE TABLE measurement_new (
    id       INTEGER PRIMARY KEY,          -- point_id << 35 | kind index << 32 | t
    data     BLOB NOT NULL,
    -- For reading the table by hand; they take no room.
    point_id INTEGER GENERATED ALWAYS AS (id >> 35) VIRTUAL,
    kind     INTEGER GENERATED ALWAYS AS (CASE (id >> 32) & 7 WHEN 0 THEN 2011 WHEN 1 THEN 2031 WHEN 2 THEN 2051 WHEN 3 THEN 2061 END) VIRTUAL,
    t        INTEGER GENERATED ALWAYS AS (id & 4294967295) VIRTUAL
);

-- In key order, so that every insert appends to the last leaf. SQLite's
-- <<, | and & share one precedence, left to right: hence the parentheses.
INSERT INTO measurement_new (id, data)
SELECT (point_id << 35)
       | ((CASE kind WHEN 2011 THEN 0 WHEN 2031 THEN 1 WHEN 2051 THEN 2 WHEN 2061 THEN 3 END) << 32)
       | t,
       data
FROM measurement
WHERE NOT (t < 0 OR t > 4294967295 OR point_id < 0 OR point_id >= 268435456
   OR kind NOT IN (2011, 2031, 2051, 2061))
ORDER BY point_id, kind, t;

DROP TABLE measurement;
ALTER TABLE measurement_new RENAME TO measurement;
