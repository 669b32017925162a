-- 0015: what the quality, concepts, critique and verify passes found, one row per photo and model
-- (a bundle@version, a clip model#prompt set, an Ollama model), for the file content they looked at.
CREATE TABLE photo_quality (
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    model TEXT NOT NULL,           -- the aesthetic bundle and its version, e.g. laion-improved__ViT-L-14__openai@1
    content_hash TEXT,
    score REAL NOT NULL,           -- LAION's aesthetic scale, about 1-10
    updated_at TEXT NOT NULL,
    PRIMARY KEY (photo_id, model)
);
CREATE INDEX photo_quality_model ON photo_quality(model, photo_id, content_hash);
CREATE TABLE photo_concepts (
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    model TEXT NOT NULL,           -- the clip model and the prompt set, e.g. ViT-B-32__laion2b-s34b-b79k#1a2b3c4d
    content_hash TEXT,
    concept TEXT NOT NULL,
    score REAL NOT NULL,           -- 0-1: the concept's share among the other answers of its question
    updated_at TEXT NOT NULL,
    PRIMARY KEY (photo_id, model, concept)
);
CREATE INDEX photo_concepts_model ON photo_concepts(model, photo_id, content_hash);
CREATE TABLE photo_critiques (
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    model TEXT NOT NULL,           -- the Ollama model that wrote it
    content_hash TEXT,
    critique TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (photo_id, model)
);
CREATE INDEX photo_critiques_model ON photo_critiques(model, photo_id, content_hash);
CREATE TABLE description_checks (
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    model TEXT NOT NULL,           -- the model whose description was checked (photo_descriptions.model)
    checker TEXT NOT NULL,         -- the second Ollama model that confirmed or denied its objects
    content_hash TEXT,
    disputed INTEGER NOT NULL,     -- 1: an object the description names was denied by the checker and by CLIP
    objects TEXT NOT NULL,         -- JSON list of {"name", "similarity", "confirmed", "ok"}
    updated_at TEXT NOT NULL,
    PRIMARY KEY (photo_id, model)
);
CREATE INDEX description_checks_model ON description_checks(model, photo_id, content_hash);
