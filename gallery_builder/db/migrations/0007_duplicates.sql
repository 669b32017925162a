-- 0007: duplicate groups (exact copies and near duplicates) as proposed by analysis; a photo is in at
-- most one group. A person's decisions stay in photo_decisions: "reject the others" writes flags there.
CREATE TABLE duplicate_groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- ids are never reused, so a stale page's link cannot name another group
    kind TEXT NOT NULL CHECK (kind IN ('exact', 'near')),  -- exact: every copy byte-identical
    keeper_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,  -- the proposed keeper
    updated_at TEXT NOT NULL
);

CREATE TABLE duplicate_members (
    group_id INTEGER NOT NULL REFERENCES duplicate_groups(id) ON DELETE CASCADE,
    photo_id INTEGER NOT NULL UNIQUE REFERENCES photos(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('exact', 'near')),  -- exact: byte-identical to the keeper
    is_keeper INTEGER NOT NULL DEFAULT 0 CHECK (is_keeper IN (0, 1)),
    PRIMARY KEY (group_id, photo_id)
);
