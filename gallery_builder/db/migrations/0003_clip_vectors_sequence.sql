-- rewrites-data 0003: clip_vectors gets an AUTOINCREMENT id, so every saved vector has a new, larger id
-- (a re-embedded photo could reuse its old rowid before; the sidecar compares ids to find changes).
CREATE TABLE clip_vectors_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    model TEXT NOT NULL,           -- bundle name under <home>/models/clip/, e.g. ViT-B-32__laion2b-s34b-b79k
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,          -- little-endian float32 x dim, L2-normalised (vec_distance_cosine works on it)
    content_hash TEXT,             -- the file content the vector belongs to
    updated_at TEXT NOT NULL,
    UNIQUE (photo_id, model)
);
INSERT INTO clip_vectors_new (photo_id, model, dim, vector, content_hash, updated_at)
    SELECT photo_id, model, dim, vector, content_hash, updated_at FROM clip_vectors ORDER BY rowid;
DROP TABLE clip_vectors;
ALTER TABLE clip_vectors_new RENAME TO clip_vectors;
CREATE INDEX clip_vectors_model ON clip_vectors(model, id);
