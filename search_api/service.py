"""The search itself, shared by the HTTP routes and `gallery search`: parse, filter, embed, rank, page.

One read-only connection to gallery.db (the indexer may write at the same time); `PRAGMA
data_version` tells when another process committed, and then the vectors, the names a query can
use and the cached pages are brought up to date before answering.
"""
from __future__ import annotations

import json
import os
import sys
import threading
import time
from datetime import date, datetime, timezone
from typing import Any, Callable

import numpy as np

from gallery_builder.config import Settings
from gallery_builder.db import face_queries
from gallery_builder.db import search_queries as queries
from search_api.params import SearchRequest
from search_api.query_cache import QueryCache
from search_api.query_parser import ParsedQuery, Vocabulary, parse_query
from search_api.results import color_bonus, merge_filters, photo_filter, plain_words, result_card
from search_api.vector_index import VectorIndex

HEAVY_MODULES = ("torch", "open_clip", "insightface", "PIL", "jinja2", "pyarrow")
BOOST_WINDOW = 200
WORDS_BONUS = 0.05        # added to the CLIP score of a photo whose description, tags, place or path has the words
WORDS_CANDIDATES = 2000   # at most this many literal matches join the CLIP ranking


class NotFound(LookupError):
    """Becomes HTTP 404 with this message."""


def loaded_heavy_modules() -> list[str]:
    return sorted(name for name in HEAVY_MODULES if name in sys.modules)


def release_free_memory() -> None:
    """Hand freed heap back to the OS (glibc keeps ~100 MB after ONNX Runtime parses a model file)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        return


def resident_memory_mb() -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


class SearchService:
    def __init__(self, settings: Settings, *, model_name: str | None = None, hemisphere: str = "auto",
                 today: Callable[[], date] = date.today, threads: int | None = None) -> None:
        self.settings, self.today = settings, today
        self.model_name = model_name or settings.clip_model
        self.hemisphere_setting, self.threads = hemisphere, threads
        self.hemisphere = "south" if hemisphere == "south" else "north"
        self.index = VectorIndex(self.model_name)
        self.cache = QueryCache(settings.home / "search-cache.db")
        self.db: Any = None
        self.db_lock = threading.RLock()
        self.model_lock = threading.Lock()
        self.data_version: int | None = None
        self.vocabulary = Vocabulary()
        self.signature = ""
        self.present_count = 0
        self.changed_at = time.time()
        self.started_at = time.time()
        self.encoder: Any = None
        self.model_message: str | None = None

    # -- keeping in step with the database -------------------------------------------------------
    def _connection(self) -> Any:
        if self.db is None and self.settings.db_path.exists():
            from gallery_builder.db.connection import connect

            self.db = connect(self.settings.db_path, readonly=True)
            queries.install_search_functions(self.db)
        return self.db

    def sync(self) -> bool:
        """Reload what changed since the last request; False when there is no database yet."""
        with self.db_lock:
            db = self._connection()
            if db is None:
                return False
            version = db.execute("PRAGMA data_version").fetchone()[0]
            if version == self.data_version:
                return True
            if self.index.refresh(db):
                release_free_memory()
            places, countries, cameras = queries.vocabulary_rows(db)
            self.vocabulary = Vocabulary.build(places, countries, cameras, face_queries.person_names(db))
            if self.hemisphere_setting == "auto":
                latitude = queries.median_latitude(db)
                self.hemisphere = "south" if latitude is not None and latitude < 0 else "north"
            snapshot = self.index.snapshot
            newest = int(snapshot.rowids.max()) if snapshot.count else 0
            signature = f"{queries.library_signature(db)}|{self.model_name}:{snapshot.count}:{newest}"
            if signature != self.signature:
                self.signature, self.changed_at = signature, time.time()
                self.present_count = queries.present_photo_count(db)
                self.cache.drop_results_except(signature)
            self.data_version = version
            return True

    # -- the text model ---------------------------------------------------------------------------
    def text_encoder(self) -> Any:
        """The loaded text tower, or None with `model_message` saying how to install it."""
        from gallery_builder.ml.clip_bundle import ModelMissing, find_bundle
        from gallery_builder.ml.clip_onnx import OrtSettings, default_threads
        from gallery_builder.ml.clip_text import cached_text_encoder

        with self.model_lock:
            try:
                bundle = find_bundle(self.settings.models_dir, self.model_name, parts=("textual",))
                settings = OrtSettings(self.threads or default_threads(), allow_spinning=False)
                loaded = self.encoder
                self.encoder = cached_text_encoder(bundle, settings)
                if self.encoder is not loaded:
                    release_free_memory()
                self.model_message = None
            except (ModelMissing, ValueError) as error:
                self.encoder, self.model_message = None, str(error)
            except Exception as error:  # a damaged model file must not take the sidecar down
                self.encoder = None
                self.model_message = f"CLIP model {self.model_name!r} could not be loaded: {error}"
            return self.encoder

    def embed_text(self, encoder: Any, text: str) -> np.ndarray:
        fingerprint = encoder.bundle.fingerprint("textual")
        cached = self.cache.embedding(fingerprint, text)
        if cached is not None:
            return np.frombuffer(cached, dtype="<f4").astype(np.float32)
        vector = encoder.encode([text])[0].astype(np.float32)
        self.cache.store_embedding(fingerprint, text, vector.astype("<f4").tobytes())
        return vector

    def model_status(self) -> dict[str, Any]:
        return {"name": self.model_name, "loaded": self.encoder is not None, "message": self.model_message}

    # -- answering ---------------------------------------------------------------------------------
    def search(self, request: SearchRequest) -> dict[str, Any]:
        started = time.perf_counter()
        has_db = self.sync()
        parsed = parse_query(request.q, self.vocabulary, self.today(), self.hemisphere)  # type: ignore[arg-type]
        merge_filters(parsed, request.filters)
        encoder = self.text_encoder() if parsed.text and not parsed.filenames else None
        key = json.dumps({"parsed": parsed.to_json(), "limit": request.limit, "offset": request.offset,
                          "model": encoder.bundle.fingerprint("textual") if encoder else None}, sort_keys=True)
        body = self.cache.result(key, self.signature) if has_db else None
        if body is None:
            body = self._answer(parsed, request, encoder) if has_db else self._no_database(parsed, request)
            if has_db:
                self.cache.store_result(key, self.signature, body)
            body["cached"] = False
        else:
            body["cached"] = True
        body["model"] = self.model_status()
        body["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return body

    def _no_database(self, parsed: ParsedQuery, request: SearchRequest) -> dict[str, Any]:
        notes = parsed.notes + [f"no index yet at {self.settings.db_path}: run `gallery index PATH --home DIR`"]
        return self._page(parsed, request, [], [], 0, "none", notes)

    def _answer(self, parsed: ParsedQuery, request: SearchRequest, encoder: Any) -> dict[str, Any]:
        notes = list(parsed.notes) + ([self.index.problem] if self.index.problem else [])
        if parsed.people and not self.vocabulary.people:
            notes.append("person: no one has been named in this library yet, so nothing matches")
        window = request.offset + request.limit
        if parsed.text and encoder is not None and not parsed.filenames:
            return self._clip_answer(parsed, request, encoder, notes)
        words = plain_words(parsed.text) if parsed.text and not parsed.filenames else ()
        if words:
            notes.append("no CLIP model: the words were matched literally in file paths, places, cameras, descriptions and tags")
        with self.db_lock:
            ids = queries.matching_photo_ids(self.db, photo_filter(parsed, words))
        mode = "filename" if parsed.filenames else "words" if words else "filters"
        page = ids[request.offset:window]
        return self._page(parsed, request, page, [None] * len(page), len(ids), mode, notes)

    def _clip_answer(self, parsed: ParsedQuery, request: SearchRequest, encoder: Any,
                     notes: list[str]) -> dict[str, Any]:
        query = self.embed_text(encoder, parsed.text)
        the_filter = photo_filter(parsed)
        with self.db_lock:
            among = None if the_filter.is_empty() else queries.matching_photo_ids(self.db, the_filter)
        window = request.offset + request.limit
        ids, scores, total = self.index.top(query, window + (BOOST_WINDOW if parsed.color_boost else 0), among)
        ids, scores = self._with_literal_matches(parsed, query, among, ids, scores)
        if parsed.color_boost and ids:
            with self.db_lock:
                names = queries.dominant_color_names(self.db, ids)
            boosted = [(score + color_bonus(parsed.color_boost, names.get(photo_id, [])), photo_id)
                       for photo_id, score in zip(ids, scores)]
            boosted.sort(key=lambda item: (-item[0], item[1]))
            ids, scores = [item[1] for item in boosted], [item[0] for item in boosted]
        waiting = (len(among) if among is not None else self.present_count) - total
        if waiting > 0:
            notes.append(f"{waiting} matching photos have no CLIP embedding (not indexed with `gallery index --clip`"
                         f" yet, or without a thumbnail) and are left out")
        body = self._page(parsed, request, ids[request.offset:window], scores[request.offset:window], total, "clip",
                          notes)
        body["unembedded"] = max(waiting, 0)
        return body

    def _with_literal_matches(self, parsed: ParsedQuery, query: np.ndarray, among: list[int] | None,
                              ids: list[int], scores: list[float]) -> tuple[list[int], list[float]]:
        """The CLIP ranking with the photos whose words say what was asked (a description or tags from
        the describe/tags passes, a place, a folder name) lifted by WORDS_BONUS: they join the
        ranking with their own CLIP score even when CLIP alone ranked them lower."""
        words = plain_words(parsed.text)
        if not words:
            return ids, scores
        with self.db_lock:
            literal = queries.matching_photo_ids(self.db, photo_filter(parsed, words))[:WORDS_CANDIDATES]
        if not literal:
            return ids, scores
        literal_ids, literal_scores, _ = self.index.top(query, len(literal), literal)
        by_id = dict(zip(ids, scores))
        for photo_id, score in zip(literal_ids, literal_scores):
            by_id[photo_id] = score + WORDS_BONUS
        ranked = sorted(by_id.items(), key=lambda item: (-item[1], item[0]))
        return [item[0] for item in ranked], [item[1] for item in ranked]

    def similar(self, photo_id: int, request: SearchRequest) -> dict[str, Any]:
        started = time.perf_counter()
        if not self.sync():
            raise NotFound(f"no index yet at {self.settings.db_path}")
        with self.db_lock:
            if not queries.photo_is_present(self.db, photo_id):
                raise NotFound(f"no photo with id {photo_id}")
        vector = self.index.vector_of(photo_id)
        if vector is None:
            raise NotFound(f"photo {photo_id} has no CLIP embedding for model {self.model_name!r} yet; "
                           f"run `gallery index --clip` (a model is added with `gallery models fetch`)")
        parsed = ParsedQuery(raw="")
        merge_filters(parsed, request.filters)
        the_filter = photo_filter(parsed)
        with self.db_lock:
            among = None if the_filter.is_empty() else queries.matching_photo_ids(self.db, the_filter)
        ids, scores, total = self.index.top(vector, request.offset + request.limit, among, exclude=photo_id)
        window = slice(request.offset, request.offset + request.limit)
        body = self._page(parsed, request, ids[window], scores[window], total, "similar", [])
        body["photo_id"] = photo_id
        body["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return body

    def clip_neighbours(self, photo_id: int, count: int) -> list[tuple[int, float]]:
        """(photo id, cosine similarity) of the `count` nearest photos by CLIP vector; [] when the photo
        has none (propagation of a comparison asks). It uses the vectors as the warm-up or the last
        search loaded them: a sync per pick costs more than the pick (~25 ms at 100,000 photos)."""
        vector = self.index.vector_of(photo_id)
        if vector is None:
            return []
        ids, scores, _ = self.index.top(vector, count, None, exclude=photo_id)
        return [(int(other), float(score)) for other, score in zip(ids, scores) if score is not None]

    def _page(self, parsed: ParsedQuery, request: SearchRequest, ids: list[int], scores: list[float | None],
              total: int, mode: str, notes: list[str]) -> dict[str, Any]:
        cards: dict[int, dict[str, Any]] = {}
        if ids:
            with self.db_lock:
                cards = queries.photo_cards(self.db, ids)
        results = [result_card(cards[photo_id], score) for photo_id, score in zip(ids, scores) if photo_id in cards]
        return {"query": request.q, "mode": mode, "total": total, "offset": request.offset, "limit": request.limit,
                "results": results, "parsed": parsed.to_json(), "notes": notes}

    def health(self) -> dict[str, Any]:
        has_db = self.sync()
        if self.encoder is None:
            self.text_encoder()
        snapshot = self.index.snapshot
        return {
            "status": "ok", "db": {"path": str(self.settings.db_path), "exists": has_db},
            "model": self.model_status(), "vectors": snapshot.count, "vectors_problem": self.index.problem,
            "vector_dim": int(snapshot.matrix.shape[1]) if snapshot.count else None,
            "index_changed_at": datetime.fromtimestamp(self.changed_at, timezone.utc).isoformat(timespec="seconds"),
            "index_age_seconds": round(time.time() - self.changed_at, 1),
            "hemisphere": self.hemisphere, "cache": self.cache.counts(),
            "heavy_modules": loaded_heavy_modules(), "rss_mb": resident_memory_mb(),
            "uptime_seconds": round(time.time() - self.started_at, 1), "pid": os.getpid(),
        }

    def warm_up(self) -> None:
        """Load the text model, then the vectors, before the first query needs them (in this order
        ONNX Runtime's transient copies while it builds the session are gone before the vector
        matrix arrives, which keeps the peak resident memory lower)."""
        self.text_encoder()
        self.sync()

    def close(self) -> None:
        with self.db_lock:
            if self.db is not None:
                self.db.close()
                self.db = None
        self.cache.close()
