-- Access control: private-tracker keys and the info hash list, plus the
-- change counter every node polls and is notified of. Times are Unix
-- seconds. Keys and hashes compare byte by byte (COLLATE "C"), as on
-- SQLite, so pages come in the same order whatever the database's locale.

CREATE TABLE swarmbridge_state (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT  NOT NULL
);
INSERT INTO swarmbridge_state (id, version) VALUES (1, 0);

CREATE TABLE access_keys (
    key        TEXT COLLATE "C" PRIMARY KEY,
    note       TEXT   NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT -- NULL: the key never expires
);

CREATE TABLE info_hashes (
    info_hash TEXT COLLATE "C" PRIMARY KEY CHECK (length(info_hash) = 40 AND info_hash = lower(info_hash)),
    note      TEXT   NOT NULL DEFAULT '',
    added_at  BIGINT NOT NULL
);
