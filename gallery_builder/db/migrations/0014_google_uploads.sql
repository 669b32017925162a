-- 0014: the Google Photos upload ledger: one row per album (with the API's album id, which differs
-- from the id in Google Photos URLs) and one per photo and album, written as each file finishes, so
-- a cancelled, crashed or restarted upload never sends a finished file twice.
CREATE TABLE google_albums (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL UNIQUE,            -- the album's title in Google Photos
    api_album_id TEXT,                     -- NULL until albums.create answered
    collection_id INTEGER,                 -- the collection it was made from, if any (no FK: outlives it)
    created_at TEXT NOT NULL
);

CREATE TABLE google_uploads (
    album_id INTEGER NOT NULL REFERENCES google_albums(id) ON DELETE CASCADE,
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    state TEXT NOT NULL CHECK (state IN ('sent', 'created', 'failed')),
    upload_token TEXT,                     -- 'sent': the bytes are at Google, batchCreate pending
    media_item_id TEXT,                    -- 'created': the media item in the album
    bytes INTEGER NOT NULL DEFAULT 0,
    error TEXT,                            -- 'failed': why (retried by the next run)
    at TEXT NOT NULL,
    PRIMARY KEY (album_id, photo_id)
);
CREATE INDEX google_uploads_photo ON google_uploads(photo_id);
