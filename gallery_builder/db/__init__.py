"""The database layer: connection, numbered migrations and queries by domain; it knows no pass or page."""
