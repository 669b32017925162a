"""C decoders' stderr (libtiff's "TIFFFillStrip: Read error ...") stays off the terminal: it goes into
the file's error message when the decode fails and is dropped when it succeeds."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from gallery_builder.media.errors import MediaError
from gallery_builder.media.native_stderr import decoder_messages_into_errors
from tests.conftest import run_gallery

CORRUPT_TIFF = "broken/crash-0c7e0e8e11ce787078f00b5b0ca409a167f070e0.tif"


def test_fd2_text_joins_a_failed_decode_and_vanishes_after_a_good_one(capfd) -> None:
    with decoder_messages_into_errors():
        os.write(2, b"libfoo: harmless warning\n")
    with pytest.raises(MediaError) as raised:
        with decoder_messages_into_errors("/photos/2024/scan.tif"):
            os.write(2, b"TIFFFillStrip: Read error on strip 0\nTIFFFillStrip: Read error on strip 0\n"
                        b"/photos/2024/scan.tif: unexpected end\n")
            raise MediaError("corrupt", "image data cannot be decoded")
    assert raised.value.code == "corrupt"
    assert raised.value.message == ("image data cannot be decoded; the decoder said: "
                                    "TIFFFillStrip: Read error on strip 0 | scan.tif: unexpected end")
    os.write(2, b"after\n")  # fd 2 is back where it was
    assert capfd.readouterr().err == "after\n"


def test_gallery_index_keeps_libtiff_off_the_terminal(tmp_path: Path, corpus: Path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(corpus / CORRUPT_TIFF, photos / "scan.tif")
    shutil.copy(corpus / "exif/gps/DSCN0010.jpg", photos / "good.jpg")
    home = tmp_path / "home"
    result = run_gallery("index", str(photos), "--home", str(home))
    assert not [line for line in result.stderr.splitlines() if "TIFF" in line], result.stderr
    errors = run_gallery("errors", "--home", str(home)).stdout
    line = next(line for line in errors.splitlines() if "scan.tif" in line)
    assert "corrupt" in line and "the decoder said: TIFFFillStrip: Read error on strip 0" in line
    assert "good.jpg" not in errors
