-- 0008: what a vision model (through Ollama) said about a photo: a description and tags, one row
-- per (photo, model), for the file content it looked at (the describe and tags passes).
CREATE TABLE photo_descriptions (
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    model TEXT NOT NULL,           -- the Ollama model name as configured, e.g. llava, moondream
    content_hash TEXT,             -- the file content the answer belongs to
    description TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (photo_id, model)
);
CREATE INDEX photo_descriptions_model ON photo_descriptions(model, photo_id, content_hash);
CREATE TABLE photo_tags (
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    content_hash TEXT,
    tags TEXT NOT NULL,            -- a JSON list of words from the tag vocabulary (may be empty)
    updated_at TEXT NOT NULL,
    PRIMARY KEY (photo_id, model)
);
CREATE INDEX photo_tags_model ON photo_tags(model, photo_id, content_hash);
-- A failed answer names its model in the message: pending reads failures by message from this index.
CREATE INDEX pass_runs_error_messages ON pass_runs(pass, version, photo_id, content_hash, error)
    WHERE status = 'error';
