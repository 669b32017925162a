-- 0002: CLIP image embeddings, one row per (photo, model); float32 blobs in sqlite-vec's format
CREATE TABLE clip_vectors (
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    model TEXT NOT NULL,           -- bundle name under <home>/models/clip/, e.g. ViT-B-32__laion2b-s34b-b79k
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,          -- little-endian float32 x dim, L2-normalised (vec_distance_cosine works on it)
    content_hash TEXT,             -- the file content the vector belongs to
    updated_at TEXT NOT NULL,
    PRIMARY KEY (photo_id, model)
);
CREATE INDEX clip_vectors_model ON clip_vectors(model);
