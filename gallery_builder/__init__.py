"""gallery_builder: index a photo library into SQLite, export Parquet, build a static gallery."""
