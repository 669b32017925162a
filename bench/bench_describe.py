"""The describe pass's own cost per photo (everything but waiting for the model), against an
Ollama-compatible server that answers at once (tests/fake_ollama.py), beside a bare round trip of
the official client sending the same thumbnail in the same run.

    .venv/bin/python bench/bench_describe.py [--count 60] [--rounds 3]

Makes N 1400x1400 JPEGs, indexes them (exif, thumbs), then measures:
  bare      `ollama.Client.generate(..., images=[1280 px thumbnail bytes], stream=True)`, joined
  describe  the describe pass through the real runner (`pending`, `inputs`, reading the thumbnail,
            the session, parsing, `save`, one transaction per batch), forced over every photo
  overhead  describe - bare, per photo (target < 20 ms)
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def build(base: Path, count: int) -> Path:
    import datetime as dt

    from gallery_builder.config import load_settings, resolve_roots, save_settings
    from gallery_builder.indexing.run import index_roots
    from tests.search_library import Shot, write_photo

    library, home = base / "library", base / "home"
    for number in range(count):
        shade = (number * 37 % 256, number * 91 % 256, number * 53 % 256)
        write_photo(library / f"{number // 100:03d}" / f"IMG_{number:05d}.JPG",
                    Shot("", shade, (255 - shade[0], 40, 40), dt.datetime(2024, 1, 1, 12), "Canon", "R6", None))
    settings = load_settings(home, {"workers": 2}, environ={})
    settings, roots = resolve_roots(settings, [library])
    save_settings(settings)
    index_roots(settings, roots, ["exif", "thumbs"], show_bar=False, log=lambda line: None, export=False)
    return home


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import ollama

    from gallery_builder.config import load_settings
    from gallery_builder.core.records import RunContext, Scope
    from gallery_builder.db.connection import connect
    from gallery_builder.indexing.runner import PassRunner
    from gallery_builder.ml.vision_answers import DESCRIBE_PROMPT
    from tests.fake_ollama import FakeOllama, Reply

    with tempfile.TemporaryDirectory(prefix="bench-describe-") as temp, \
            FakeOllama(reply=lambda seen: Reply("A red square on a plain background.", pieces=3)) as fake:
        home = build(Path(temp), args.count)
        context = RunContext(load_settings(home, {"ollama_host": fake.url}, environ={}))
        thumb = next((home / "thumbs").rglob("*-1280.jpg")).read_bytes()
        client = ollama.Client(host=fake.url)
        bare_runs, pass_runs = [], []
        for _ in range(args.rounds):
            started = time.perf_counter()
            for _ in range(args.count):
                "".join(part.response for part in client.generate(model="llava", prompt=DESCRIBE_PROMPT,
                                                                    images=[thumb], stream=True))
            bare_runs.append((time.perf_counter() - started) / args.count * 1000)
            db = connect(home / "gallery.db")
            try:
                started = time.perf_counter()
                report = PassRunner(db, context, workers=1, log=lambda line: None).run(
                    ["describe"], Scope(), frozenset({"describe"}))
                elapsed = time.perf_counter() - started
            finally:
                db.close()
            done = next(item for item in report.passes if item.name == "describe")
            assert (done.done, done.errors) == (args.count, 0), (done.done, done.errors)
            pass_runs.append(elapsed / args.count * 1000)
        bare, described = statistics.median(bare_runs), statistics.median(pass_runs)
        print(f"photos: {args.count}, rounds: {args.rounds}, thumbnail sent: {len(thumb) / 1024:.0f} KiB")
        print(f"bare client round trip   {bare:6.2f} ms/photo (median of rounds: {', '.join(f'{v:.2f}' for v in bare_runs)})")
        print(f"describe pass (runner)   {described:6.2f} ms/photo (median of rounds: {', '.join(f'{v:.2f}' for v in pass_runs)})")
        print(f"pass overhead            {described - bare:6.2f} ms/photo (target < 20)")


if __name__ == "__main__":
    main()
