-- 0017: propagation of comparisons. After a comparison, photos that look like its winner or loser
-- (CLIP neighbours, pHash neighbours, stack members) get a small bounded rating nudge; each nudge is
-- logged against the event that caused it, so a replay of the log applies exactly the same nudges
-- even after the neighbours have changed. A nudge counts while its event counts (undo, reset).
CREATE TABLE rating_nudges (
    id INTEGER PRIMARY KEY AUTOINCREMENT,   -- replay order within an event
    event_id INTEGER NOT NULL REFERENCES comparison_events(id),
    photo_id INTEGER NOT NULL,              -- the nudged photo (no foreign key: the log outlives a purge)
    amount REAL NOT NULL,                   -- rating points added (negative: taken)
    distance REAL NOT NULL,                 -- 0 (looks the same) to 1 (just similar)
    before TEXT NOT NULL                    -- JSON [rating, deviation, volatility] before it: undo restores it
);
CREATE INDEX rating_nudges_event ON rating_nudges(event_id);
