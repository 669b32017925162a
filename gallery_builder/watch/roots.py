"""Watch mode's root side: is a root there, which file system is it on, and which observer watches it.

inotify is the default; a root on a network file system (NFS/SMB: inotify misses changes other
machines make) or past the inotify watch limit is watched by polling instead, and the log says why.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import errno
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from gallery_builder.config import Root

NETWORK_FILESYSTEMS = frozenset({
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "fuse.sshfs", "fuse.rclone", "afpfs", "davfs", "fuse.davfs2",
    "ceph", "glusterfs", "fuse.glusterfs",
})
DEFAULT_FALLBACK_POLL_S = 60.0
_IN_CREATE = 0x100
_LIMIT_ERRORS = {errno.ENOSPC: "inotify watch limit reached", errno.EMFILE: "inotify instance limit reached"}


@dataclass(frozen=True)
class Presence:
    """A root as seen now: `identity` (device, inode) when usable, else None and the reason."""

    identity: tuple[int, int] | None
    reason: str = ""


def root_presence(path: Path) -> Presence:
    """Usable means: exists, is a folder, can be listed, is not empty (an empty mount point is unmounted)."""
    try:
        info = os.stat(path)
    except OSError:
        return Presence(None, f"{path} does not exist (unmounted share?)")
    if not os.path.isdir(path):
        return Presence(None, f"{path} is not a folder")
    try:
        with os.scandir(path) as entries:
            empty = next(entries, None) is None
    except OSError as error:
        return Presence(None, f"cannot list {path} ({error.strerror})")
    if empty:
        return Presence(None, f"{path} is empty (unmounted share?)")
    return Presence((info.st_dev, info.st_ino))


def _unescape_mount(text: str) -> str:
    return text.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")


def filesystem_type(path: Path, mounts_text: str | None = None) -> str | None:
    """The file-system type of the mount holding `path`, from /proc/self/mounts (None if unknown)."""
    if mounts_text is None:
        try:
            mounts_text = Path("/proc/self/mounts").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
    target = os.path.realpath(path)
    best, best_type = "", None
    for line in mounts_text.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        mount_point = _unescape_mount(fields[1])
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) >= len(best):
            best, best_type = mount_point, fields[2]
    return best_type


def inotify_limit_problem(path: Path) -> str | None:
    """Try to add one more inotify watch: the kernel's answer says whether the limits are reached."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    descriptor = libc.inotify_init()
    if descriptor < 0:
        code = ctypes.get_errno()
        return _LIMIT_ERRORS.get(code)
    try:
        watch = libc.inotify_add_watch(descriptor, os.fsencode(path), _IN_CREATE)
        if watch < 0:
            return _LIMIT_ERRORS.get(ctypes.get_errno())
        return None
    finally:
        os.close(descriptor)


def limit_advice(problem: str) -> str:
    which = "max_user_watches" if "watch" in problem else "max_user_instances"
    try:
        current = Path(f"/proc/sys/fs/inotify/{which}").read_text().strip()
    except OSError:
        current = "?"
    return (f"{problem} (fs.inotify.{which}={current}); raise it on the host with "
            f"`sysctl fs.inotify.{which}=524288` (see README, Troubleshooting)")


class OverflowAlarm(logging.Handler):
    """watchdog only logs when the kernel's inotify queue overflowed (events were lost): turn that
    log record into a call, so the watcher can queue a full rescan instead of waiting a day."""

    LOGGERS = ("watchdog.observers.inotify", "watchdog.observers.inotify_c")

    def __init__(self, on_overflow: Callable[[], None]) -> None:
        super().__init__(logging.WARNING)
        self.on_overflow = on_overflow

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in record.getMessage().lower():
            self.on_overflow()

    def install(self) -> None:
        for name in self.LOGGERS:
            logging.getLogger(name).addHandler(self)

    def remove(self) -> None:
        for name in self.LOGGERS:
            logging.getLogger(name).removeHandler(self)


class ObserverPool:
    """One watchdog observer per root, so a root can be dropped and re-added on its own."""

    def __init__(self, handler: Any, *, poll_seconds: float | None, log: Callable[[str], None],
                 inotify_factory: Callable[[], Any] | None = None,
                 polling_factory: Callable[[float], Any] | None = None,
                 fallback_poll: float = DEFAULT_FALLBACK_POLL_S) -> None:
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        self.handler, self.poll_seconds, self.log = handler, poll_seconds, log
        self.fallback_poll = fallback_poll
        self.inotify_factory = inotify_factory or Observer
        self.polling_factory = polling_factory or (lambda seconds: PollingObserver(timeout=seconds))
        self.observers: dict[str, Any] = {}
        self.modes: dict[str, str] = {}
        # watchdog warns when a folder is watched twice during fast copies of folder trees; harmless.
        warnings.filterwarnings("ignore", message=r"Callback with id .* (already exists|does not exist)",
                                category=RuntimeWarning)

    def watch(self, root: Root) -> str:
        """Start watching a root; returns "inotify" or "polling every N s" (the mode used)."""
        self.unwatch(root.label)
        if self.poll_seconds:
            return self._start_polling(root, self.poll_seconds)
        kind = filesystem_type(root.path)
        if kind in NETWORK_FILESYSTEMS:
            self.log(f"root {root.label!r} is on a {kind} mount: inotify cannot see changes made by other "
                     f"machines there, polling every {self.fallback_poll:g} s (set --poll to choose)")
            return self._start_polling(root, self.fallback_poll)
        problem = self._start_inotify(root)
        if problem is None:
            return "inotify"
        self.unwatch(root.label)
        self.log(f"root {root.label!r}: {limit_advice(problem)}; falling back to polling every "
                 f"{self.fallback_poll:g} s")
        return self._start_polling(root, self.fallback_poll)

    def _start_inotify(self, root: Root) -> str | None:
        from gallery_builder.watch.events import WATCHED_EVENTS

        observer = self.inotify_factory()
        self.observers[root.label] = observer
        try:
            observer.schedule(self.handler, str(root.path), recursive=True, event_filter=WATCHED_EVENTS)
            observer.start()
        except OSError as error:
            if error.errno in _LIMIT_ERRORS:
                return _LIMIT_ERRORS[error.errno]
            raise
        self.modes[root.label] = "inotify"
        # watchdog skips sub-folders it could not watch; a full table means some were skipped.
        return inotify_limit_problem(root.path)

    def _start_polling(self, root: Root, seconds: float) -> str:
        from gallery_builder.watch.events import WATCHED_EVENTS

        observer = self.polling_factory(seconds)
        observer.schedule(self.handler, str(root.path), recursive=True, event_filter=WATCHED_EVENTS)
        observer.start()
        self.observers[root.label] = observer
        self.modes[root.label] = f"polling every {seconds:g} s"
        return self.modes[root.label]

    def needs_restart(self, label: str, *, check_limits: bool = False) -> str | None:
        """Why a watched root's observer must be restarted: a thread died, or (with `check_limits`)
        the inotify table filled up, so folders made from now on could not be watched."""
        observer = self.observers.get(label)
        if observer is None:
            return None
        if not observer.is_alive() or any(not emitter.is_alive() for emitter in observer.emitters):
            return "its observer stopped"
        if check_limits and self.modes.get(label) == "inotify":
            watched = next(iter(observer.emitters), None)
            problem = inotify_limit_problem(Path(watched.watch.path)) if watched else None
            return problem and limit_advice(problem)
        return None

    def unwatch(self, label: str) -> None:
        observer = self.observers.pop(label, None)
        self.modes.pop(label, None)
        if observer is None:
            return
        try:
            observer.stop()
            if observer.is_alive():
                observer.join(timeout=5)
        except (OSError, RuntimeError):
            pass  # a watch on a vanished folder may fail to unregister; the thread is gone either way

    def stop(self) -> None:
        for label in list(self.observers):
            self.unwatch(label)
