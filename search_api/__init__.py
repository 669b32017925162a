"""The search sidecar: a small Starlette app answering CLIP text search, "find similar" and health.

It imports no torch, open_clip, insightface, PIL, jinja2 or pyarrow (a test checks this in a real
`gallery serve` process). Photo facts come from gallery.db opened read-only; vectors are searched
in memory; recent queries are cached in their own SQLite file under <home>.
"""
