-- 0009: collections (albums), a person's own work: a name, a manual order of photos, a cover, and a
-- log of every effective change (its max seq is the collections version). Only the CLI and the
-- sidecar's writing routes change them; no pass or analysis does.
CREATE TABLE collections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: a collection's URL names nothing else later
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    cover_photo_id INTEGER REFERENCES photos(id) ON DELETE SET NULL,  -- NULL: the first photo is the cover
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE collection_photos (
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,  -- only `gallery purge` deletes photos
    position INTEGER NOT NULL,     -- 0, 1, 2, ... within the collection (kept dense)
    PRIMARY KEY (collection_id, photo_id)
);
CREATE INDEX collection_photos_order ON collection_photos(collection_id, position);
CREATE INDEX collection_photos_photo ON collection_photos(photo_id);

-- Every effective change, in order; no foreign key: the history outlives a deleted collection.
CREATE TABLE collection_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    collection_id INTEGER NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('create', 'rename', 'delete', 'add', 'remove', 'cover', 'move')),
    detail TEXT NOT NULL,          -- e.g. the new name, or how many photos
    source TEXT NOT NULL,          -- who wrote it: 'cli', 'api', ...
    at TEXT NOT NULL
);
