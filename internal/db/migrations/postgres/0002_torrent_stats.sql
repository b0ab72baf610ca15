-- Per-torrent counts that outlive a swarm: completed downloads and when
-- the tracker first recorded the torrent (Unix seconds).

CREATE TABLE torrent_stats (
    info_hash  TEXT COLLATE "C" PRIMARY KEY CHECK (length(info_hash) = 40 AND info_hash = lower(info_hash)),
    downloaded BIGINT NOT NULL DEFAULT 0 CHECK (downloaded >= 0),
    first_seen BIGINT NOT NULL
);
