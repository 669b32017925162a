-- 0005: indexes that let the bookkeeping of a large library (pending, coverage, status) merge sorted
-- index ranges instead of looking up every photo (bench/bench_bookkeeping.py measures them).
-- Per (pass, version, status): the photo ids in order, with the content they belong to (pending's
-- "done" side, status's ok / errors / last run), all read from the index alone.
CREATE INDEX pass_runs_current ON pass_runs(pass, version, status, photo_id, content_hash, updated_at);
-- Per (pass, status) in photo order: a required pass's successes, whatever its version.
CREATE INDEX pass_runs_outcome ON pass_runs(pass, status, photo_id, content_hash);
DROP INDEX pass_runs_pass_status;  -- the one above starts with the same columns
-- Current errors without reading every result (`gallery status`, `gallery errors`).
CREATE INDEX pass_runs_errors ON pass_runs(photo_id) WHERE status = 'error';
-- Photos per root, status and kind (`gallery status`) from the index alone.
CREATE INDEX photos_root_status_kind ON photos(root_id, status, kind);
-- Per model, in photo order with the content each vector belongs to (the clip pass's pending).
CREATE INDEX clip_vectors_photo_content ON clip_vectors(model, photo_id, content_hash);
