-- 0011: faces found in photos, the people they belong to, and the unknown clusters they form.
-- A person's work here (names, assignments, "not this person", ignored clusters) is never undone by
-- re-detection or re-clustering: ids are never reused and user rows are only changed by the user.
CREATE TABLE people (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    hidden INTEGER NOT NULL DEFAULT 0,
    cover_face_id INTEGER,                  -- a face of this person chosen as the cover (NULL: best-scored)
    created_at TEXT NOT NULL
);

CREATE TABLE face_clusters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,   -- never reused: once shown, a cluster keeps its id
    shown INTEGER NOT NULL DEFAULT 0,       -- 1 once a page or a command has shown it
    ignored INTEGER NOT NULL DEFAULT 0,     -- the user's "ignore": survives every re-clustering
    created_at TEXT NOT NULL
);

CREATE TABLE faces (
    id INTEGER PRIMARY KEY AUTOINCREMENT,   -- never reused (crops, exports and JSON assignments name it)
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    backend TEXT NOT NULL,                  -- 'dlib' or 'buffalo_l'
    content_hash TEXT,                      -- the file content the detection belongs to
    x REAL NOT NULL,                        -- the box, as fractions of the displayed (oriented) image
    y REAL NOT NULL,
    w REAL NOT NULL,
    h REAL NOT NULL,
    landmarks TEXT,                         -- JSON [[x, y], ...] as fractions of the image, or NULL
    score REAL NOT NULL,                    -- detector confidence
    size_px INTEGER NOT NULL,               -- the box's shorter side in pixels of the image detected on
    clusterable INTEGER NOT NULL DEFAULT 1, -- 0 below the minimum size or score: kept and shown, not clustered
    embedding BLOB,                         -- float32 unit vector (NULL when not embedded)
    crop_key TEXT,                          -- content-addressed crop beside the thumbnails
    person_id INTEGER REFERENCES people(id) ON DELETE SET NULL,
    assigned_by TEXT CHECK (assigned_by IS NULL OR assigned_by IN
        ('user', 'reference', 'cluster', 'match', 'temporal')),
    cluster_id INTEGER REFERENCES face_clusters(id) ON DELETE SET NULL
);
CREATE INDEX faces_photo ON faces(photo_id);
CREATE INDEX faces_person ON faces(person_id) WHERE person_id IS NOT NULL;
CREATE INDEX faces_cluster ON faces(cluster_id) WHERE cluster_id IS NOT NULL;

-- "Not this person" on a face: matching never links that face to that person again.
CREATE TABLE face_rejections (
    face_id INTEGER NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    PRIMARY KEY (face_id, person_id)
);

-- Reference photos or folders named for a person (references.yml, `gallery people add --config`).
CREATE TABLE person_references (
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    PRIMARY KEY (person_id, path)
);
