"""The ranking export's two formats (JSON and CSV), shared by `gallery rank export` and the sidecar's
download from the Top 50 page, so both give the same file."""
from __future__ import annotations

import csv
import io
import json
from typing import Any, Sequence

EXPORT_FIELDS = ("rank", "id", "path", "rating", "deviation", "confidence", "comparisons", "wins")


def export_text(scope: str, rows: Sequence[dict[str, Any]], fmt: str) -> str:
    """`rows` (a Standing's to_json plus `rank`) as JSON ({scope, photos}) or CSV (EXPORT_FIELDS)."""
    if fmt == "json":
        return json.dumps({"scope": scope, "photos": list(rows)}, ensure_ascii=False, indent=1) + "\n"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, EXPORT_FIELDS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
