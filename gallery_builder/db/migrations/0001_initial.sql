-- 0001: roots, photos, per-pass fact tables, pass coverage/errors, scan records
CREATE TABLE roots (
    id INTEGER PRIMARY KEY,
    label TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    last_scan_at TEXT
);

CREATE TABLE photos (
    id INTEGER PRIMARY KEY,
    root_id INTEGER NOT NULL REFERENCES roots(id),
    path TEXT NOT NULL,            -- relative to the root, UTF-8; undecodable bytes as \xNN
    path_bytes BLOB NOT NULL,      -- the exact relative path bytes (the identity of the file)
    folder TEXT NOT NULL,          -- parent folder of `path` ('' at the root)
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('photo', 'video', 'raw')),
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    content_hash TEXT,             -- xxh3-128 hex of the whole file
    status TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'missing', 'error')),
    error_code TEXT,
    error TEXT,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    missing_since TEXT,
    UNIQUE (root_id, path_bytes)
);
CREATE INDEX photos_content_hash ON photos(content_hash);
CREATE INDEX photos_root_folder ON photos(root_id, folder);

CREATE TABLE exif (
    photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    taken_at TEXT,                 -- YYYY-MM-DDTHH:MM:SS[.fff], local wall time
    tz_offset TEXT,                -- +HH:MM when known
    taken_at_source TEXT,          -- exif, xmp_sidecar, xmp, quicktime, filename, folder, mtime
    date_in_future INTEGER NOT NULL DEFAULT 0,
    camera_make TEXT,
    camera_model TEXT,
    lens TEXT,
    focal_length REAL,
    aperture REAL,
    exposure_time REAL,
    iso INTEGER,
    width INTEGER,                 -- after orientation
    height INTEGER,
    orientation INTEGER,
    gps_lat REAL,
    gps_lon REAL,
    gps_alt REAL,
    duration REAL,                 -- seconds, videos only
    format TEXT                    -- decoder's format name (JPEG, HEIF, PNG, mp4, NEF, ...)
);
CREATE INDEX exif_taken_at ON exif(taken_at);

CREATE TABLE thumbnails (
    photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    thumb_key TEXT NOT NULL,       -- content hash; files at thumbs/<key[:2]>/<key>-<width>.<ext>
    widths TEXT NOT NULL           -- JSON list of slot widths written, e.g. [360, 1280, 1920]
);
CREATE INDEX thumbnails_key ON thumbnails(thumb_key);

CREATE TABLE colors (
    photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    colors TEXT NOT NULL           -- JSON list of '#rrggbb', most dominant first
);

CREATE TABLE phashes (
    photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    phash TEXT NOT NULL            -- 64-bit perceptual hash, 16 hex digits
);

CREATE TABLE places (
    photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    place TEXT,
    admin TEXT,
    country TEXT,
    country_code TEXT
);

-- Coverage and the per-photo error record: one row per (photo, pass) once the pass ran on it.
CREATE TABLE pass_runs (
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    pass TEXT NOT NULL,
    version INTEGER NOT NULL,
    content_hash TEXT,             -- the file content the result belongs to
    status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
    error_code TEXT,
    error TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (photo_id, pass)
);
CREATE INDEX pass_runs_pass_status ON pass_runs(pass, status);

-- Files the scan left out on purpose, replaced per root on each scan (for `gallery status`).
CREATE TABLE skipped_files (
    root_id INTEGER NOT NULL REFERENCES roots(id),
    path TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (root_id, path)
);

CREATE TABLE scan_runs (
    id INTEGER PRIMARY KEY,
    root_id INTEGER NOT NULL REFERENCES roots(id),
    started_at TEXT NOT NULL,
    finished_at TEXT,
    counts TEXT                    -- JSON: new, changed, moved, missing, unchanged, skipped, errors
);
