"""`gallery google status|auth|upload|disconnect`: sign in to Google Photos from a headless NAS
(paste-back), upload a collection or chosen photos into an album with a progress bar, and disconnect.
Every failure is one line naming what to do; never a traceback."""
from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any

import click

from gallery_builder.cli.options import home_option, load_or_explain


@click.group("google")
def google_command() -> None:
    """Upload to Google Photos with your own OAuth client (appendonly scope: it can add, never read).

    Put the `client_secret.json` of a Desktop-app OAuth client in the data home (README, "Google
    Photos"), sign in once with `auth`, then `upload`. A ledger in gallery.db remembers what each
    album has, so an upload stopped by Ctrl-C, a crash or the daily quota resumes without sending a
    file twice. The web pages' upload buttons share it (and a lock: one upload per album at a time).

    \b
    Examples:
      gallery google auth --home ./gallery-data
      gallery google upload --collection "Lisbon 2023" --home ./gallery-data
      gallery google status --home ./gallery-data
      gallery google disconnect --home ./gallery-data
    """


@google_command.command("status")
@home_option
def status_command(home: str) -> None:
    """Say whether a Google sign-in is stored and what each album has (no network).

    \b
    Example:
      gallery google status --home ./gallery-data
    """
    from gallery_builder.google.signin import client_secret_path, is_connected, token_path

    settings = load_or_explain(home)
    if not is_connected(settings):
        hint = ("" if client_secret_path(settings).is_file()
                else f" (first save your OAuth client as {client_secret_path(settings)})")
        click.echo(f"not signed in to Google Photos: run `gallery google auth --home {home}`{hint}")
    else:
        click.echo(f"signed in to Google Photos (token {token_path(settings)})")
    for line in _album_lines(settings):
        click.echo(line)


def _album_lines(settings: Any) -> list[str]:
    if not settings.db_path.exists():
        return []
    from gallery_builder.db import uploads as ledger
    from gallery_builder.db.connection import connect

    db = connect(settings.db_path, readonly=True)
    try:
        if not ledger.has_ledger(db):
            return []
        return [f"  {album.title}: {album.created} uploaded, {album.pending} awaiting creation, {album.failed} failed"
                for album in ledger.album_summaries(db)]
    finally:
        db.close()


@google_command.command("auth")
@home_option
def auth_command(home: str) -> None:
    """Sign in by paste-back: open the printed link on any device, approve, then paste here the
    http://localhost...?code=... address the browser fails to load. The token is stored in
    <home>/google/token.json (mode 0600) and refreshed by itself.

    \b
    Example:
      gallery google auth --home ./gallery-data
    """
    from gallery_builder.google.errors import GoogleError
    from gallery_builder.google.signin import PasteBackSignIn

    settings = load_or_explain(home)
    try:
        attempt = PasteBackSignIn(settings)
        click.echo("1. Open this link on any device with a browser and approve:\n\n  " + attempt.url + "\n")
        click.echo("2. The browser then fails to open an http://localhost... address. Copy that whole address.")
        pasted = click.prompt("3. Paste it here", prompt_suffix=": ", err=True)
        attempt.finish(pasted)
    except GoogleError as error:
        raise click.ClickException(str(error)) from None
    click.echo("signed in to Google Photos: `gallery google upload --collection ID` uploads a collection")


@google_command.command("disconnect")
@home_option
def disconnect_command(home: str) -> None:
    """Revoke the Google token and delete it from the data home.

    \b
    Example:
      gallery google disconnect --home ./gallery-data
    """
    from gallery_builder.google.signin import disconnect

    click.echo(disconnect(load_or_explain(home)))


def _id_list(value: str | None, name: str) -> tuple[int, ...]:
    if not value:
        return ()
    parts = [part.strip() for part in value.replace(" ", ",").split(",") if part.strip()]
    if not all(part.isdigit() for part in parts):
        raise click.BadParameter("photo ids separated by commas, e.g. 12,15,40", param_hint=name)
    return tuple(int(part) for part in parts)


@google_command.command("upload")
@click.option("--collection", "collection", metavar="ID", help="Upload this collection (id or name), in its order.")
@click.option("--photos", "photos", metavar="IDS", help="Upload these photos (ids separated by commas); needs --album.")
@click.option("--album", "album", metavar="NAME", help="Album title in Google Photos (default: the collection's name).")
@click.option("--force", "force", metavar="PHOTO_IDS",
              help="Send these photos again even if the ledger says the album has them (ids separated by commas).")
@home_option
def upload_command(collection: str | None, photos: str | None, album: str | None, force: str | None,
                   home: str) -> None:
    """Upload a collection (or chosen photos) into a Google Photos album, with a progress bar.

    The album is created once; photos the ledger says it has are skipped before anything is sent.
    Ctrl-C stops after the current file (twice: at once); running the same command again resumes.
    Exit status: 0 done, 1 stopped (quota, network, sign-in) or some files failed, 130 cancelled.

    \b
    Examples:
      gallery google upload --collection "Lisbon 2023" --home ./gallery-data
      gallery google upload --collection 3 --album "Lisbon with Ana" --force 12,15 --home ./gallery-data
      gallery google upload --photos 12,15,40 --album "Best of 2023" --home ./gallery-data
    """
    from gallery_builder.google.errors import GoogleError
    from gallery_builder.google.signin import AUTH_HINT, is_connected

    settings = load_or_explain(home)
    if (collection is None) == (photos is None):
        raise click.UsageError("give either --collection ID or --photos IDS")
    if photos is not None and not album:
        raise click.UsageError("--photos needs --album NAME")
    if not is_connected(settings):
        raise click.ClickException(f"not signed in to Google Photos: {AUTH_HINT.replace('DIR', home)}")
    request = _request(settings, home, collection, _id_list(photos, "--photos"), album, _id_list(force, "--force"))
    from gallery_builder.db.connection import connect
    from gallery_builder.google.engine import run_upload

    cancel = threading.Event()
    previous = signal.getsignal(signal.SIGINT)

    def on_interrupt(signum: int, frame: Any) -> None:
        cancel.set()
        click.echo("\nstopping after the current file (Ctrl-C again stops at once)", err=True)
        signal.signal(signal.SIGINT, previous)

    signal.signal(signal.SIGINT, on_interrupt)
    bar = _Bar()
    db = connect(settings.db_path)
    try:
        terminal = run_upload(settings, db, request, bar.event, cancel)
    except GoogleError as error:
        raise click.ClickException(str(error)) from None
    finally:
        signal.signal(signal.SIGINT, previous)
        bar.close()
        db.close()
    summary = bar.last
    line = (f"{summary.get('created', 0)} uploaded, {summary.get('skipped', 0)} already in the album, "
            f"{summary.get('failed', 0)} failed, of {summary.get('total', 0)} ({request.album!r})")
    if terminal == "fatal":
        raise click.ClickException(f"upload stopped: {summary.get('reason')} [{line}]")
    click.echo(("cancelled: " if terminal == "cancelled" else "done: ") + line)
    for error in summary.get("errors", [])[:10]:
        click.echo(f"  {error}", err=True)
    if terminal == "cancelled":
        sys.exit(130)
    if summary.get("failed"):
        sys.exit(1)


def _request(settings: Any, home: str, collection: str | None, photos: tuple[int, ...], album: str | None,
             force: tuple[int, ...]) -> Any:
    from gallery_builder.db.collections import UnknownCollection, collection_photo_ids, find_collection
    from gallery_builder.db.connection import connect
    from gallery_builder.db.uploads import known_photo_ids
    from gallery_builder.google.engine import UploadRequest

    if not settings.db_path.exists():
        raise click.ClickException(f"no index at {settings.db_path}: run `gallery index PATH --home {home}` first")
    db = connect(settings.db_path)
    try:
        if collection is not None:
            try:
                found = find_collection(db, collection)
            except UnknownCollection as error:
                raise click.ClickException(f"{error}; `gallery collection list` shows them") from None
            return UploadRequest(album or found.name, tuple(collection_photo_ids(db, found.id)), found.id, force)
        unknown = sorted(set(photos) - set(known_photo_ids(db, photos)))
        if unknown:
            raise click.ClickException(f"unknown photo id(s): {', '.join(map(str, unknown[:20]))}; nothing sent")
        return UploadRequest(album or "", photos, None, force)
    finally:
        db.close()


class _Bar:
    """The terminal's view of the events: a byte bar with rate and ETA, files done in its postfix."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.last: dict[str, Any] = {}
        self.file_base = 0
        self.show = sys.stderr.isatty() or os.environ.get("GALLERY_PROGRESS") == "1"

    def event(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "start":
            click.echo(f"album {data['album']!r}: {data['total']} photo(s), {data['skipped']} already there, "
                       f"{data['to_send']} to send", err=True)
            if self.show and data["to_send"]:
                from tqdm import tqdm

                self.bar = tqdm(total=data["bytes_total"], unit="B", unit_scale=True, unit_divisor=1024,
                                desc="upload", file=sys.stderr, dynamic_ncols=True, smoothing=0.1)
        elif kind == "begin":
            self.file_base = self.last.get("bytes_sent", 0)
        elif kind == "bytes_sent" and self.bar is not None:
            self.bar.update(self.file_base + data["sent"] - self.bar.n)
        if kind in ("start", "progress", "done", "fatal", "cancelled"):
            self.last = data
            if self.bar is not None and kind == "progress":
                self.bar.update(data["bytes_sent"] - self.bar.n)
                self.bar.set_postfix(files=f"{data['done']}/{data['total']}", failed=data["failed"], refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def register(group: click.Group) -> None:
    group.add_command(google_command)
