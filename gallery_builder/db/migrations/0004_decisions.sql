-- 0004: a person's decisions (flags, stars), their log (whose max seq is the decisions version)
-- and the queue of "pages must be republished" requests that each write leaves.
CREATE TABLE photo_decisions (
    photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,  -- only `gallery purge` deletes photos
    flag TEXT CHECK (flag IN ('pick', 'reject')),  -- NULL: no flag
    stars INTEGER NOT NULL DEFAULT 0 CHECK (stars BETWEEN 0 AND 5),
    updated_at TEXT NOT NULL
);

-- Every effective change, in order; no foreign key: the history outlives a purged photo.
CREATE TABLE decision_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    photo_id INTEGER NOT NULL,
    field TEXT NOT NULL CHECK (field IN ('flag', 'stars')),
    value TEXT,                    -- the new value as text ('pick', 'reject', NULL, '0'..'5')
    source TEXT NOT NULL,          -- who wrote it: 'cli', 'api', ...
    at TEXT NOT NULL
);
CREATE INDEX decision_log_photo ON decision_log(photo_id, seq);

CREATE TABLE republish_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reason TEXT NOT NULL,
    requested_at TEXT NOT NULL
);
