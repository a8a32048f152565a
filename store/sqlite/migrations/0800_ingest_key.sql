-- Scale-out: the bus messages whose frames are stored. A JetStream
-- consumer delivers a message again when a worker dies after its commit
-- but before its acknowledgement; IngestBatch claims each message's key
-- here in the same transaction as the frame, so the frame is stored once.
-- Purged past the stream's retention (a key older than that can no longer
-- come back). On a sharded PostgreSQL (Citus) it is distributed by key.
CREATE TABLE ingest_key (
    key    text PRIMARY KEY,
    stored bigint NOT NULL -- the frame's receive time, Unix seconds
);
CREATE INDEX ingest_key_stored ON ingest_key (stored);
