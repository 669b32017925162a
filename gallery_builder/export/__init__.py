"""SQLite -> Parquet: the contract between the indexer and the builder (docs/parquet.md)."""
