-- SQLite only: the per-device index of raw frames is kept up to date in
-- bulk instead of with every frame. An index on (mn, id) gives each device
-- its own place in the B-tree, so a batch of frames from 2,000 devices
-- dirtied ~2,000 index pages, each written to the WAL and checkpointed: a
-- quarter of the gateway's throughput (store/README.md). raw_frame_by_mn
-- holds (mn, id) for the frames up to raw_frame_by_mn_upto.upto; the
-- store adds the newer ones sorted by device once 20,000 have come or a
-- minute has passed (many frames of a device per page), and a read of a
-- device's frames scans the few newer frames directly.
CREATE TABLE raw_frame_by_mn (
    mn TEXT NOT NULL,
    id INTEGER NOT NULL,
    PRIMARY KEY (mn, id)
) WITHOUT ROWID;

CREATE TABLE raw_frame_by_mn_upto (
    k    INTEGER PRIMARY KEY CHECK (k = 0),
    upto INTEGER NOT NULL,             -- frames with id <= upto are indexed
    at   INTEGER NOT NULL              -- Unix seconds of the last indexing
);

INSERT INTO raw_frame_by_mn (mn, id) SELECT mn, id FROM raw_frame ORDER BY mn, id;
INSERT INTO raw_frame_by_mn_upto (k, upto, at)
VALUES (0, COALESCE((SELECT max(id) FROM raw_frame), 0), CAST(strftime('%s', 'now') AS INTEGER));
DROP INDEX raw_frame_mn;

-- Retention deletes raw frames; their index entries go with them.
CREATE TRIGGER raw_frame_by_mn_purge AFTER DELETE ON raw_frame
BEGIN
    DELETE FROM raw_frame_by_mn WHERE mn = OLD.mn AND id = OLD.id;
END;
