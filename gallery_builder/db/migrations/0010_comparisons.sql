-- 0010: comparisons (a person's decisions, "this photo is better than that one") as an append-only
-- event log, and the current ratings as a cache that a replay of the log recomputes exactly.
-- No foreign key to photos on the log: the history outlives a purged photo.
CREATE TABLE rank_resets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scope TEXT NOT NULL,            -- 'all', 'year:2019', 'folder:ROOT/PATH'
    at TEXT NOT NULL,
    events INTEGER NOT NULL,        -- how many events this reset archived
    undone_at TEXT                  -- set by `gallery rank undo-reset`: its events count again
);

CREATE TABLE comparison_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,   -- replay order
    pick INTEGER NOT NULL,          -- one user action (a Swiss pick, a Mosaic pick): undo takes back a whole pick
    winner INTEGER NOT NULL,
    loser INTEGER NOT NULL CHECK (loser <> winner),
    mode TEXT NOT NULL CHECK (mode IN ('swiss', 'mosaic', 'top', 'cli')),
    scope TEXT NOT NULL,            -- where the comparison was made
    source TEXT NOT NULL,           -- who wrote it: 'api', 'cli', ...
    at TEXT NOT NULL,
    undone_at TEXT,                 -- undo of the last pick: kept, no longer counted
    reset_id INTEGER REFERENCES rank_resets(id),  -- archived by this reset: kept, no longer counted
    -- the ratings before this event (winner then loser): undo of the last pick restores them exactly
    winner_before TEXT NOT NULL,    -- JSON [rating, deviation, volatility]
    loser_before TEXT NOT NULL
);
CREATE INDEX comparison_events_pick ON comparison_events(pick);
CREATE INDEX comparison_events_winner ON comparison_events(winner);
CREATE INDEX comparison_events_loser ON comparison_events(loser);

-- The cache: one row per photo that has taken part in a counted comparison.
CREATE TABLE photo_ratings (
    photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    rating REAL NOT NULL,
    deviation REAL NOT NULL,
    volatility REAL NOT NULL,
    comparisons INTEGER NOT NULL,
    wins INTEGER NOT NULL
);
CREATE INDEX photo_ratings_rating ON photo_ratings(rating DESC);

-- key/value state of the ranking: 'recomputed_through' = the highest event id when the cache was last
-- rebuilt from the log (an undo of an older pick replays instead of restoring).
CREATE TABLE ranking_state (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
