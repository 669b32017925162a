-- 0012: shoot review (culling). A shoot is a folder or a capture day; its photos are grouped by time
-- and look and the best of each group is proposed. The proposals are analysis output (replaced when
-- re-proposed); a person's toggles (review_selections) and acceptances are decisions, never replaced.
CREATE TABLE review_shoots (
    shoot_key TEXT PRIMARY KEY,        -- 'folder:<root id>:<folder>' or 'day:<YYYY-MM-DD>'
    kind TEXT NOT NULL CHECK (kind IN ('folder', 'day')),
    label TEXT NOT NULL,               -- what a person reads: 'photos/2023/2023-05-14' or '2023-05-14'
    photo_count INTEGER NOT NULL,
    group_count INTEGER NOT NULL,
    first_taken TEXT,
    last_taken TEXT,                   -- most recent shoot first
    fingerprint TEXT NOT NULL,         -- the inputs the proposal was made from
    proposed_at TEXT NOT NULL
);
CREATE INDEX review_shoots_recent ON review_shoots(last_taken DESC);

CREATE TABLE review_groups (
    shoot_key TEXT NOT NULL REFERENCES review_shoots(shoot_key) ON DELETE CASCADE,
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    group_no INTEGER NOT NULL,         -- 0.. in time order
    position INTEGER NOT NULL,         -- order within the shoot (time)
    proposed INTEGER NOT NULL,         -- 1: the group's best
    score TEXT,                        -- why: JSON of the parts of the order
    PRIMARY KEY (shoot_key, photo_id)
);

-- A person's toggles, one per photo whichever view (folder or day) it was made in: absent means "as
-- proposed".
CREATE TABLE review_selections (
    photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    selected INTEGER NOT NULL CHECK (selected IN (0, 1)),
    source TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE review_acceptances (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    shoot_key TEXT NOT NULL,
    accepted_as TEXT NOT NULL,         -- 'picks' or 'collection:<id>'
    photo_count INTEGER NOT NULL,
    source TEXT NOT NULL,
    at TEXT NOT NULL
);

-- Sharpness (variance of the Laplacian) and exposure of the largest thumbnail, cached by thumbnail.
CREATE TABLE photo_sharpness (
    photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    thumb_key TEXT NOT NULL,
    sharpness REAL,
    clipped REAL,                      -- share of pixels crushed to black or blown to white
    mean REAL                          -- mean grey level 0-255
);
