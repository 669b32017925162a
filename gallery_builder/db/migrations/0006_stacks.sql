-- 0006: stacks (bursts, brackets, sequences) proposed by analysis, and a person's stack edits, which
-- re-stacking replays on every detection so that they are never undone.
CREATE TABLE stacks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: a stack id once shown names nothing else
    kind TEXT NOT NULL CHECK (kind IN ('burst', 'sequence')),
    top_photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,  -- always one of its members
    updated_at TEXT NOT NULL
);

CREATE TABLE stack_members (
    photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,  -- a photo is in one stack at most
    stack_id INTEGER NOT NULL REFERENCES stacks(id) ON DELETE CASCADE
);
CREATE INDEX stack_members_stack ON stack_members(stack_id);

-- What each photo looked like to the last stacking (camera, time, pHash): a run re-stacks only the
-- photos whose inputs changed, and their time neighbours.
CREATE TABLE stack_inputs (
    photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    fingerprint TEXT NOT NULL
);

-- Sharpness (variance of the Laplacian of the grid thumbnail) of stacked photos, per thumbnail.
CREATE TABLE stack_sharpness (
    photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    thumb_key TEXT NOT NULL,
    sharpness REAL
);

-- A person's edits, in order, by photo ids (stack ids change when detection re-runs; photo ids do not).
CREATE TABLE stack_edits (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    action TEXT NOT NULL CHECK (action IN ('set_top', 'remove', 'add', 'merge', 'not_a_stack')),
    source TEXT NOT NULL,          -- who wrote it: 'cli', 'api', ...
    at TEXT NOT NULL
);
CREATE TABLE stack_edit_photos (
    seq INTEGER NOT NULL REFERENCES stack_edits(seq) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    PRIMARY KEY (seq, position)
);
CREATE INDEX stack_edit_photos_photo ON stack_edit_photos(photo_id);
