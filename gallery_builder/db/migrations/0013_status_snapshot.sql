-- 0013: `gallery status` in constant time. Triggers count every change to what the status figures
-- read (photos' status, kind and content, pass runs, the output tables pending queries read, skips);
-- a snapshot of the figures is kept with the count it was computed at and reused while it matches.
CREATE TABLE index_changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    counter INTEGER NOT NULL
);
INSERT INTO index_changes (id, counter) VALUES (1, 0);

CREATE TABLE status_snapshots (
    key TEXT PRIMARY KEY,          -- what the figures depend on besides the data: pass versions, settings
    counter INTEGER NOT NULL,      -- index_changes.counter when they were computed
    body TEXT NOT NULL,            -- the figures, JSON
    computed_at TEXT NOT NULL
);

CREATE TRIGGER photos_change_insert AFTER INSERT ON photos
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;
CREATE TRIGGER photos_change_delete AFTER DELETE ON photos
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;
-- Only a real change counts: a rescan that sees an unchanged file rewrites nothing the figures read.
CREATE TRIGGER photos_change_update AFTER UPDATE ON photos
WHEN OLD.status IS NOT NEW.status OR OLD.kind IS NOT NEW.kind OR OLD.content_hash IS NOT NEW.content_hash
     OR OLD.root_id IS NOT NEW.root_id OR OLD.error IS NOT NEW.error OR OLD.error_code IS NOT NEW.error_code
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;

CREATE TRIGGER pass_runs_change_insert AFTER INSERT ON pass_runs
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;
CREATE TRIGGER pass_runs_change_update AFTER UPDATE ON pass_runs
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;
CREATE TRIGGER pass_runs_change_delete AFTER DELETE ON pass_runs
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;

CREATE TRIGGER skipped_files_change_insert AFTER INSERT ON skipped_files
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;
CREATE TRIGGER skipped_files_change_update AFTER UPDATE ON skipped_files
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;
CREATE TRIGGER skipped_files_change_delete AFTER DELETE ON skipped_files
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;

-- Output tables that passes' pending queries read (a pass reading a new table adds its triggers in a new migration; a test checks).
CREATE TRIGGER clip_vectors_change_insert AFTER INSERT ON clip_vectors
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;
CREATE TRIGGER clip_vectors_change_update AFTER UPDATE ON clip_vectors
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;
CREATE TRIGGER clip_vectors_change_delete AFTER DELETE ON clip_vectors
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;
CREATE TRIGGER photo_descriptions_change_insert AFTER INSERT ON photo_descriptions
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;
CREATE TRIGGER photo_descriptions_change_update AFTER UPDATE ON photo_descriptions
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;
CREATE TRIGGER photo_descriptions_change_delete AFTER DELETE ON photo_descriptions
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;
CREATE TRIGGER photo_tags_change_insert AFTER INSERT ON photo_tags
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;
CREATE TRIGGER photo_tags_change_update AFTER UPDATE ON photo_tags
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;
CREATE TRIGGER photo_tags_change_delete AFTER DELETE ON photo_tags
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;
