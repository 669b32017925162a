"""The pass runner with passes injected through the registry interface: batches, errors, resume."""
from __future__ import annotations

from pathlib import Path

from gallery_builder.config import Root
from gallery_builder.db.connection import connect
from gallery_builder.db.pass_queries import photo_inputs, photos_pending
from gallery_builder.core.records import PhotoResult, RunContext, Scope
from gallery_builder.indexing.progress import Progress
from gallery_builder.indexing.runner import PassRunner
from gallery_builder.indexing.scan import Scanner


class SizePass:
    """Records each file's size; files named bad* fail, files named boom* make `run` raise."""

    name, version, requires, description = "size", 1, (), "file sizes"
    cpu_bound, marks_photo_error, batch_size, default = False, True, 3, True

    def __init__(self):
        self.ran: list[int] = []

    def check_ready(self, context):
        return None

    def pending(self, db, scope, context, force=False):
        return photos_pending(db, self.name, self.version, self.requires, scope, force)

    def inputs(self, db, photo_ids, context):
        return photo_inputs(db, photo_ids)

    def run(self, batch, context):
        results = []
        for item in batch:
            self.ran.append(item.photo_id)
            name = Path(item.path).name
            if name.startswith("boom"):
                raise RuntimeError("a bug in the pass")
            if name.startswith("bad"):
                results.append(PhotoResult(item.photo_id, error_code="corrupt", error="bad pixels"))
            else:
                results.append(PhotoResult(item.photo_id, data={"size": item.size}))
        return results

    def save(self, db, results):
        assert all(result.ok for result in results)


class CrashingPass(SizePass):
    """Kills its worker process on files named crash* (a decoder segfault, as far as the runner knows)."""

    name, cpu_bound = "crashy", True

    def run(self, batch, context):
        import os as _os

        if any(Path(item.path).name.startswith("crash") for item in batch):
            _os._exit(11)
        return super().run(batch, context)


class NeedsSize(SizePass):
    name, requires, marks_photo_error = "after", ("size",), False


def make_files(root: Path, names: list[str]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for index, name in enumerate(names):
        (root / name).write_bytes(b"\xff\xd8\xff" + bytes([index]) * (10 + index))


def setup(tmp_path, names):
    db = connect(tmp_path / "g.db")
    make_files(tmp_path / "lib", names)
    Scanner(db, Root("lib", tmp_path / "lib"), []).scan()
    context = RunContext.for_home(tmp_path)
    return db, context


def test_batches_errors_and_resume(tmp_path):
    names = [f"ok{i}.jpg" for i in range(7)] + ["bad1.jpg", "boom1.jpg"]
    db, context = setup(tmp_path, names)
    size, after = SizePass(), NeedsSize()
    passes = {"size": size, "after": after}
    progress = Progress(tmp_path / "progress.json", show_bar=False, passes=["size", "after"])
    report = PassRunner(db, context, workers=1, progress=progress, passes=passes).run(["after"], Scope())
    assert [r.name for r in report.passes] == ["size", "after"]  # requirements first
    assert report.passes[0].done == 9 and report.passes[0].errors == 2
    assert report.passes[1].done == 7  # only photos whose requirement succeeded
    status = dict(db.execute("SELECT name, status || ':' || COALESCE(error_code, '') FROM photos"))
    assert status["bad1.jpg"] == "error:corrupt" and status["boom1.jpg"] == "error:internal"
    assert status["ok0.jpg"] == "ok:"
    errors = dict(db.execute("SELECT p.name, r.error FROM pass_runs r JOIN photos p ON p.id = r.photo_id"
                             " WHERE r.status = 'error'"))
    assert "a bug in the pass" in errors["boom1.jpg"]

    size.ran.clear()
    again = PassRunner(db, context, workers=1, passes=passes).run(["after"], Scope())
    assert size.ran == [] and again.passes[0].done == 0  # resumable: nothing left, failures not retried

    (tmp_path / "lib" / "bad1.jpg").write_bytes(b"\xff\xd8\xff changed")
    Scanner(db, Root("lib", tmp_path / "lib"), []).scan()
    PassRunner(db, context, workers=1, passes=passes).run(["size"], Scope())
    assert len(size.ran) == 1  # only the changed file is retried

    forced = PassRunner(db, context, workers=1, passes=passes).run(["size"], Scope(), frozenset({"size"}))
    assert forced.passes[0].done == 9


def test_interrupted_run_keeps_finished_batches(tmp_path):
    names = [f"ok{i}.jpg" for i in range(9)]
    db, context = setup(tmp_path, names)

    class Interrupting(SizePass):
        def run(self, batch, context):
            if len(self.ran) >= 6:
                raise KeyboardInterrupt
            return super().run(batch, context)

    the_pass = Interrupting()
    try:
        PassRunner(db, context, workers=1, passes={"size": the_pass}).run(["size"], Scope())
    except KeyboardInterrupt:
        pass
    done = db.execute("SELECT COUNT(*) FROM pass_runs").fetchone()[0]
    assert done == 6  # two whole batches of 3 committed, the third never half-written
    fresh = SizePass()
    PassRunner(db, context, workers=1, passes={"size": fresh}).run(["size"], Scope())
    assert len(fresh.ran) == 3


def test_later_passes_warm_up_in_the_background_only_when_they_have_work(tmp_path):
    import threading

    db, context = setup(tmp_path, [f"ok{i}.jpg" for i in range(4)])
    warmed: list[str] = []

    class Warming(NeedsSize):
        def warm_up(self, context):
            warmed.append(threading.current_thread().name)

    passes = {"size": SizePass(), "after": Warming()}
    PassRunner(db, context, workers=1, passes=passes).run(["after"], Scope())
    for thread in threading.enumerate():
        if thread.name.startswith("warm-up-"):
            thread.join(timeout=10)
    assert warmed == ["warm-up-after"]  # in its own thread, started before `size` ran
    PassRunner(db, context, workers=1, passes=passes).run(["after"], Scope())
    assert warmed == ["warm-up-after"]  # nothing left to do: nothing loaded


def test_a_worker_crash_marks_only_the_guilty_file(tmp_path):
    names = [f"ok{i}.jpg" for i in range(10)] + ["crash.jpg"]
    db, context = setup(tmp_path, names)
    report = PassRunner(db, context, workers=2, passes={"crashy": CrashingPass()}).run(["crashy"], Scope())
    assert report.passes[0].done == 11 and report.passes[0].errors == 1
    rows = dict(db.execute("SELECT p.name, r.status || ':' || COALESCE(r.error_code, '') FROM pass_runs r"
                           " JOIN photos p ON p.id = r.photo_id"))
    assert rows.pop("crash.jpg") == "error:corrupt"
    assert set(rows.values()) == {"ok:"} and len(rows) == 10
