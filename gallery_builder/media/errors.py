"""One exception for a file that cannot be used, and the rule that turns decoder errors into codes.

The rule (stable, documented in docs/media.md): a zero-byte file is `empty`; a file we may not
read is `unreadable`; content that is not an image we know (text, HTML, unknown bytes), or an image
format no installed decoder reads (XCF, PSB, OpenEXR, ...), is `unsupported`; a recognised image
whose data stops early is `truncated`; a recognised image whose data is wrong is `corrupt`; more
pixels than the limit, or a bigger file, is `too_large`.
"""
from __future__ import annotations

import errno


class MediaError(Exception):
    """A file we cannot use: `code` is from core.records.ERROR_CODES, the message says why in plain words."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_TRUNCATED_HINTS = ("truncated", "end of file", "premature end", "unexpected end")
_TOO_LARGE_HINTS = ("decompressed data too large", "decompression bomb")


def classify(error: BaseException, what: str = "image") -> MediaError:
    """Map an exception raised while opening or decoding a recognised file to a MediaError."""
    if isinstance(error, MediaError):
        return error
    if isinstance(error, PermissionError):
        return MediaError("unreadable", f"permission denied: {error.strerror or error}")
    if isinstance(error, FileNotFoundError):
        return MediaError("unreadable", "the file vanished before it could be read")
    if isinstance(error, OSError) and error.errno in (errno.EIO, errno.ELOOP, errno.EISDIR):
        return MediaError("unreadable", f"cannot read the file: {error.strerror or error}")
    text = f"{type(error).__name__}: {error}"
    lowered = text.lower()
    if type(error).__name__ == "DecompressionBombError" or any(h in lowered for h in _TOO_LARGE_HINTS):
        return MediaError("too_large", f"{what} is a decompression bomb ({error})")
    if isinstance(error, EOFError) or any(hint in lowered for hint in _TRUNCATED_HINTS):
        return MediaError("truncated", f"{what} data ends early ({text})")
    return MediaError("corrupt", f"{what} data cannot be decoded ({text})")
