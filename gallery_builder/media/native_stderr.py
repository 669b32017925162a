"""Keep what C decoders (libtiff, libjpeg, libheif, LibRaw, ...) print on stderr off the user's terminal.

Around one file's decoding, fd 2 goes to a temporary file: when the decode fails with a MediaError,
what the decoder said is appended to the error message (so it reaches `gallery errors`); when it
succeeds, or fails otherwise, the text is dropped. Python's own stderr is flushed before and after.
"""
from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager
from typing import BinaryIO, Iterator

from gallery_builder.media.errors import MediaError

MAX_SAID = 600  # characters of decoder text kept in an error message


class _Redirect:
    """fd 2 pointed at `sink` until `restore` (which may be called more than once)."""

    def __init__(self, sink: BinaryIO) -> None:
        _flush_python_stderr()
        self.saved = os.dup(2)
        os.dup2(sink.fileno(), 2)

    def restore(self) -> None:
        if self.saved < 0:
            return
        _flush_python_stderr()
        os.dup2(self.saved, 2)
        os.close(self.saved)
        self.saved = -1


@contextmanager
def decoder_messages_into_errors(path: str = "") -> Iterator[None]:
    """Run a decode with fd 2 captured; a MediaError raised inside gets the captured text appended
    (with `path`, if a decoder names it, shortened to the file name, as every error message is)."""
    with tempfile.TemporaryFile() as sink:
        redirect = _Redirect(sink)
        try:
            yield
        except MediaError as error:
            redirect.restore()
            said = decoder_said(sink)
            if path:
                said = said.replace(path, os.path.basename(path))
            if not said:
                raise
            raise MediaError(error.code, f"{error.message}; the decoder said: {said}") from None
        finally:
            redirect.restore()


def decoder_said(sink: BinaryIO) -> str:
    """The captured text as one line: distinct lines in order, joined by ' | ', cut to MAX_SAID."""
    sink.seek(0)
    lines: list[str] = []
    for raw in sink.read(64 * 1024).decode("utf-8", "replace").splitlines():
        line = " ".join(raw.split())
        if line and line not in lines:
            lines.append(line)
    text = " | ".join(lines)
    return text if len(text) <= MAX_SAID else text[:MAX_SAID - 3] + "..."


def _flush_python_stderr() -> None:
    try:
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):  # no stderr, or closed
        pass
