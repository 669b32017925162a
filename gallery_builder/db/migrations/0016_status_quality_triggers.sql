-- 0016: the status snapshot (0013) also counts changes to the quality passes' outputs, which their
-- pending queries read (tests/test_status_snapshot.py checks every table a pending query reads).
CREATE TRIGGER photo_quality_change_insert AFTER INSERT ON photo_quality
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;
CREATE TRIGGER photo_quality_change_update AFTER UPDATE ON photo_quality
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;
CREATE TRIGGER photo_quality_change_delete AFTER DELETE ON photo_quality
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;
CREATE TRIGGER photo_concepts_change_insert AFTER INSERT ON photo_concepts
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;
CREATE TRIGGER photo_concepts_change_update AFTER UPDATE ON photo_concepts
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;
CREATE TRIGGER photo_concepts_change_delete AFTER DELETE ON photo_concepts
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;
CREATE TRIGGER photo_critiques_change_insert AFTER INSERT ON photo_critiques
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;
CREATE TRIGGER photo_critiques_change_update AFTER UPDATE ON photo_critiques
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;
CREATE TRIGGER photo_critiques_change_delete AFTER DELETE ON photo_critiques
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;
CREATE TRIGGER description_checks_change_insert AFTER INSERT ON description_checks
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;
CREATE TRIGGER description_checks_change_update AFTER UPDATE ON description_checks
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;
CREATE TRIGGER description_checks_change_delete AFTER DELETE ON description_checks
BEGIN UPDATE index_changes SET counter = counter + 1 WHERE id = 1; END;
