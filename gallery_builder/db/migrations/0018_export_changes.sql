-- 0018: re-export only what changed. Triggers count every change per table the Parquet export reads
-- (and apart, so that only the files reading them are rewritten, columns a rescan or the export itself
-- touches: a photo's `last_seen`, a root's `last_scan_at`, a cluster's `shown`); export.json keeps the
-- counts each file was written at (gallery_builder/db/export_changes.py).
CREATE TABLE export_changes (
    name TEXT PRIMARY KEY,         -- a table, or `table.column` for a column counted apart
    counter INTEGER NOT NULL
) WITHOUT ROWID;

-- `~database`: a random token; an export.json written from another database (restored, rebuilt) is not trusted.
INSERT INTO export_changes (name, counter) VALUES ('~database', abs(random())), ('photos', 0), ('photos.first_seen', 0), ('photos.last_seen', 0), ('photos.missing_since', 0), ('roots', 0), ('roots.last_scan_at', 0), ('exif', 0), ('places', 0), ('colors', 0), ('phashes', 0), ('thumbnails', 0), ('photo_decisions', 0), ('stack_members', 0), ('stacks', 0), ('photo_descriptions', 0), ('photo_tags', 0), ('photo_quality', 0), ('photo_critiques', 0), ('description_checks', 0), ('pass_runs', 0), ('skipped_files', 0), ('duplicate_members', 0), ('collections', 0), ('collection_photos', 0), ('photo_concepts', 0), ('photo_ratings', 0), ('review_groups', 0), ('review_shoots', 0), ('review_selections', 0), ('faces', 0), ('people', 0), ('face_clusters', 0), ('face_clusters.shown', 0);

CREATE TRIGGER export_photos_insert AFTER INSERT ON photos
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'photos'; END;
CREATE TRIGGER export_photos_delete AFTER DELETE ON photos
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'photos'; END;
CREATE TRIGGER export_photos_update AFTER UPDATE ON photos
WHEN OLD.id IS NOT NEW.id OR OLD.root_id IS NOT NEW.root_id OR OLD.path IS NOT NEW.path OR OLD.path_bytes IS NOT NEW.path_bytes OR OLD.folder IS NOT NEW.folder OR OLD.name IS NOT NEW.name OR OLD.kind IS NOT NEW.kind OR OLD.size IS NOT NEW.size OR OLD.mtime_ns IS NOT NEW.mtime_ns OR OLD.content_hash IS NOT NEW.content_hash OR OLD.status IS NOT NEW.status OR OLD.error_code IS NOT NEW.error_code OR OLD.error IS NOT NEW.error
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'photos'; END;
CREATE TRIGGER export_photos_first_seen_update AFTER UPDATE OF first_seen ON photos WHEN OLD.first_seen IS NOT NEW.first_seen
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'photos.first_seen'; END;
CREATE TRIGGER export_photos_last_seen_update AFTER UPDATE OF last_seen ON photos WHEN OLD.last_seen IS NOT NEW.last_seen
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'photos.last_seen'; END;
CREATE TRIGGER export_photos_missing_since_update AFTER UPDATE OF missing_since ON photos WHEN OLD.missing_since IS NOT NEW.missing_since
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'photos.missing_since'; END;
CREATE TRIGGER export_roots_insert AFTER INSERT ON roots
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'roots'; END;
CREATE TRIGGER export_roots_delete AFTER DELETE ON roots
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'roots'; END;
CREATE TRIGGER export_roots_update AFTER UPDATE ON roots
WHEN OLD.id IS NOT NEW.id OR OLD.label IS NOT NEW.label OR OLD.path IS NOT NEW.path
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'roots'; END;
CREATE TRIGGER export_roots_last_scan_at_update AFTER UPDATE OF last_scan_at ON roots WHEN OLD.last_scan_at IS NOT NEW.last_scan_at
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'roots.last_scan_at'; END;
CREATE TRIGGER export_exif_insert AFTER INSERT ON exif
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'exif'; END;
CREATE TRIGGER export_exif_delete AFTER DELETE ON exif
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'exif'; END;
CREATE TRIGGER export_exif_update AFTER UPDATE ON exif
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'exif'; END;
CREATE TRIGGER export_places_insert AFTER INSERT ON places
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'places'; END;
CREATE TRIGGER export_places_delete AFTER DELETE ON places
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'places'; END;
CREATE TRIGGER export_places_update AFTER UPDATE ON places
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'places'; END;
CREATE TRIGGER export_colors_insert AFTER INSERT ON colors
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'colors'; END;
CREATE TRIGGER export_colors_delete AFTER DELETE ON colors
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'colors'; END;
CREATE TRIGGER export_colors_update AFTER UPDATE ON colors
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'colors'; END;
CREATE TRIGGER export_phashes_insert AFTER INSERT ON phashes
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'phashes'; END;
CREATE TRIGGER export_phashes_delete AFTER DELETE ON phashes
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'phashes'; END;
CREATE TRIGGER export_phashes_update AFTER UPDATE ON phashes
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'phashes'; END;
CREATE TRIGGER export_thumbnails_insert AFTER INSERT ON thumbnails
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'thumbnails'; END;
CREATE TRIGGER export_thumbnails_delete AFTER DELETE ON thumbnails
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'thumbnails'; END;
CREATE TRIGGER export_thumbnails_update AFTER UPDATE ON thumbnails
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'thumbnails'; END;
CREATE TRIGGER export_photo_decisions_insert AFTER INSERT ON photo_decisions
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'photo_decisions'; END;
CREATE TRIGGER export_photo_decisions_delete AFTER DELETE ON photo_decisions
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'photo_decisions'; END;
CREATE TRIGGER export_photo_decisions_update AFTER UPDATE ON photo_decisions
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'photo_decisions'; END;
CREATE TRIGGER export_stack_members_insert AFTER INSERT ON stack_members
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'stack_members'; END;
CREATE TRIGGER export_stack_members_delete AFTER DELETE ON stack_members
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'stack_members'; END;
CREATE TRIGGER export_stack_members_update AFTER UPDATE ON stack_members
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'stack_members'; END;
CREATE TRIGGER export_stacks_insert AFTER INSERT ON stacks
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'stacks'; END;
CREATE TRIGGER export_stacks_delete AFTER DELETE ON stacks
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'stacks'; END;
CREATE TRIGGER export_stacks_update AFTER UPDATE ON stacks
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'stacks'; END;
CREATE TRIGGER export_photo_descriptions_insert AFTER INSERT ON photo_descriptions
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'photo_descriptions'; END;
CREATE TRIGGER export_photo_descriptions_delete AFTER DELETE ON photo_descriptions
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'photo_descriptions'; END;
CREATE TRIGGER export_photo_descriptions_update AFTER UPDATE ON photo_descriptions
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'photo_descriptions'; END;
CREATE TRIGGER export_photo_tags_insert AFTER INSERT ON photo_tags
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'photo_tags'; END;
CREATE TRIGGER export_photo_tags_delete AFTER DELETE ON photo_tags
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'photo_tags'; END;
CREATE TRIGGER export_photo_tags_update AFTER UPDATE ON photo_tags
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'photo_tags'; END;
CREATE TRIGGER export_photo_quality_insert AFTER INSERT ON photo_quality
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'photo_quality'; END;
CREATE TRIGGER export_photo_quality_delete AFTER DELETE ON photo_quality
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'photo_quality'; END;
CREATE TRIGGER export_photo_quality_update AFTER UPDATE ON photo_quality
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'photo_quality'; END;
CREATE TRIGGER export_photo_critiques_insert AFTER INSERT ON photo_critiques
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'photo_critiques'; END;
CREATE TRIGGER export_photo_critiques_delete AFTER DELETE ON photo_critiques
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'photo_critiques'; END;
CREATE TRIGGER export_photo_critiques_update AFTER UPDATE ON photo_critiques
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'photo_critiques'; END;
CREATE TRIGGER export_description_checks_insert AFTER INSERT ON description_checks
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'description_checks'; END;
CREATE TRIGGER export_description_checks_delete AFTER DELETE ON description_checks
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'description_checks'; END;
CREATE TRIGGER export_description_checks_update AFTER UPDATE ON description_checks
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'description_checks'; END;
CREATE TRIGGER export_pass_runs_insert AFTER INSERT ON pass_runs
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'pass_runs'; END;
CREATE TRIGGER export_pass_runs_delete AFTER DELETE ON pass_runs
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'pass_runs'; END;
CREATE TRIGGER export_pass_runs_update AFTER UPDATE ON pass_runs
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'pass_runs'; END;
CREATE TRIGGER export_skipped_files_insert AFTER INSERT ON skipped_files
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'skipped_files'; END;
CREATE TRIGGER export_skipped_files_delete AFTER DELETE ON skipped_files
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'skipped_files'; END;
CREATE TRIGGER export_skipped_files_update AFTER UPDATE ON skipped_files
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'skipped_files'; END;
CREATE TRIGGER export_duplicate_members_insert AFTER INSERT ON duplicate_members
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'duplicate_members'; END;
CREATE TRIGGER export_duplicate_members_delete AFTER DELETE ON duplicate_members
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'duplicate_members'; END;
CREATE TRIGGER export_duplicate_members_update AFTER UPDATE ON duplicate_members
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'duplicate_members'; END;
CREATE TRIGGER export_collections_insert AFTER INSERT ON collections
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'collections'; END;
CREATE TRIGGER export_collections_delete AFTER DELETE ON collections
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'collections'; END;
CREATE TRIGGER export_collections_update AFTER UPDATE ON collections
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'collections'; END;
CREATE TRIGGER export_collection_photos_insert AFTER INSERT ON collection_photos
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'collection_photos'; END;
CREATE TRIGGER export_collection_photos_delete AFTER DELETE ON collection_photos
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'collection_photos'; END;
CREATE TRIGGER export_collection_photos_update AFTER UPDATE ON collection_photos
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'collection_photos'; END;
CREATE TRIGGER export_photo_concepts_insert AFTER INSERT ON photo_concepts
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'photo_concepts'; END;
CREATE TRIGGER export_photo_concepts_delete AFTER DELETE ON photo_concepts
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'photo_concepts'; END;
CREATE TRIGGER export_photo_concepts_update AFTER UPDATE ON photo_concepts
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'photo_concepts'; END;
CREATE TRIGGER export_photo_ratings_insert AFTER INSERT ON photo_ratings
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'photo_ratings'; END;
CREATE TRIGGER export_photo_ratings_delete AFTER DELETE ON photo_ratings
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'photo_ratings'; END;
CREATE TRIGGER export_photo_ratings_update AFTER UPDATE ON photo_ratings
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'photo_ratings'; END;
CREATE TRIGGER export_review_groups_insert AFTER INSERT ON review_groups
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'review_groups'; END;
CREATE TRIGGER export_review_groups_delete AFTER DELETE ON review_groups
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'review_groups'; END;
CREATE TRIGGER export_review_groups_update AFTER UPDATE ON review_groups
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'review_groups'; END;
CREATE TRIGGER export_review_shoots_insert AFTER INSERT ON review_shoots
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'review_shoots'; END;
CREATE TRIGGER export_review_shoots_delete AFTER DELETE ON review_shoots
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'review_shoots'; END;
CREATE TRIGGER export_review_shoots_update AFTER UPDATE ON review_shoots
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'review_shoots'; END;
CREATE TRIGGER export_review_selections_insert AFTER INSERT ON review_selections
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'review_selections'; END;
CREATE TRIGGER export_review_selections_delete AFTER DELETE ON review_selections
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'review_selections'; END;
CREATE TRIGGER export_review_selections_update AFTER UPDATE ON review_selections
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'review_selections'; END;
CREATE TRIGGER export_faces_insert AFTER INSERT ON faces
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'faces'; END;
CREATE TRIGGER export_faces_delete AFTER DELETE ON faces
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'faces'; END;
CREATE TRIGGER export_faces_update AFTER UPDATE ON faces
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'faces'; END;
CREATE TRIGGER export_people_insert AFTER INSERT ON people
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'people'; END;
CREATE TRIGGER export_people_delete AFTER DELETE ON people
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'people'; END;
CREATE TRIGGER export_people_update AFTER UPDATE ON people
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'people'; END;
CREATE TRIGGER export_face_clusters_insert AFTER INSERT ON face_clusters
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'face_clusters'; END;
CREATE TRIGGER export_face_clusters_delete AFTER DELETE ON face_clusters
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'face_clusters'; END;
CREATE TRIGGER export_face_clusters_update AFTER UPDATE ON face_clusters
WHEN OLD.id IS NOT NEW.id OR OLD.ignored IS NOT NEW.ignored OR OLD.created_at IS NOT NEW.created_at
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'face_clusters'; END;
CREATE TRIGGER export_face_clusters_shown_update AFTER UPDATE OF shown ON face_clusters WHEN OLD.shown IS NOT NEW.shown
BEGIN UPDATE export_changes SET counter = counter + 1 WHERE name = 'face_clusters.shown'; END;
