"""Videos through Debian's ffmpeg: metadata with `ffprobe -of json` and a poster frame.

Capture time: Apple's `com.apple.quicktime.creationdate` (local wall time with its offset) wins over
the container's `creation_time` (UTC). GPS comes from ISO 6709 location tags. Width and height are
as displayed (the rotation of the display matrix applied), like ffmpeg's auto-rotated poster.
"""
from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from typing import Any

from gallery_builder.media.dates import CaptureTime, parse_iso_datetime
from gallery_builder.media.errors import MediaError

PROBE_TIMEOUT_S = 60
POSTER_TIMEOUT_S = 120
POSTER_AT_S = 1.0
_LOCATION_TAGS = ("com.apple.quicktime.location.ISO6709", "location", "location-eng")


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise MediaError("unsupported", f"{name} is not installed; videos need Debian's ffmpeg package "
                                        f"(apt-get install ffmpeg)")
    return found


def probe(path: str) -> dict[str, Any]:
    """ffprobe's JSON for the container and its streams (MediaError when ffprobe refuses the file)."""
    command = [_tool("ffprobe"), "-v", "error", "-of", "json", "-show_format", "-show_streams", "--", path]
    try:
        done = subprocess.run(command, capture_output=True, timeout=PROBE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise MediaError("corrupt", f"ffprobe gave no answer within {PROBE_TIMEOUT_S} s") from None
    report = json.loads(done.stdout or b"{}")
    if done.returncode != 0 or "format" not in report:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise MediaError("corrupt", f"ffprobe cannot read the video ({message[-1] if message else 'no output'})")
    return report


def main_video_stream(report: dict[str, Any]) -> dict[str, Any] | None:
    """The first real video stream (cover art and other attached pictures are skipped)."""
    for stream in report.get("streams", []):
        if stream.get("codec_type") == "video" and not stream.get("disposition", {}).get("attached_pic"):
            return stream
    return None


def rotation_of(stream: dict[str, Any]) -> int:
    for side_data in stream.get("side_data_list", []) or []:
        if "rotation" in side_data:
            return int(float(side_data["rotation"])) % 360
    try:
        return int(stream.get("tags", {}).get("rotate", 0)) % 360
    except ValueError:
        return 0


def video_facts(report: dict[str, Any]) -> dict[str, Any]:
    """Duration, displayed size, camera, GPS and capture time from an ffprobe report."""
    container = report.get("format", {})
    tags = {key.lower(): value for key, value in (container.get("tags") or {}).items()}
    stream = main_video_stream(report) or {}
    width, height = stream.get("width"), stream.get("height")
    if width and height and rotation_of(stream) in (90, 270):
        width, height = height, width
    duration = _float(container.get("duration")) or _float(stream.get("duration"))
    facts: dict[str, Any] = {
        "duration": round(duration, 3) if duration else None,
        "width": width or None, "height": height or None, "orientation": None,
        "format": (container.get("format_name") or "video").split(",")[0],
        "camera_make": (tags.get("com.apple.quicktime.make") or tags.get("make") or "").strip() or None,
        "camera_model": (tags.get("com.apple.quicktime.model") or tags.get("model") or "").strip() or None,
    }
    facts.update(_location(tags))
    facts["capture_time"] = video_capture_time(tags, stream)
    return facts


def video_capture_time(tags: dict[str, str], stream: dict[str, Any]) -> CaptureTime | None:
    candidates = [tags.get("com.apple.quicktime.creationdate"), tags.get("creation_time"),
                  (stream.get("tags") or {}).get("creation_time")]
    for value in candidates:
        found = parse_iso_datetime(value, "quicktime") if value else None
        if found and found.taken_at[:4] not in ("1904", "1970"):  # zero in the QuickTime / Unix epoch
            return found
    return None


_ISO6709 = re.compile(r"([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)?")


def _location(tags: dict[str, str]) -> dict[str, float | None]:
    none = {"gps_lat": None, "gps_lon": None, "gps_alt": None}
    text = next((tags[key.lower()] for key in _LOCATION_TAGS if tags.get(key.lower())), None)
    match = _ISO6709.match(text.strip()) if text else None
    if not match:
        return none
    lat, lon = _iso6709_angle(match.group(1), 2), _iso6709_angle(match.group(2), 3)
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180 or (lat == 0 and lon == 0):
        return none
    altitude = _float(match.group(3)) if match.group(3) else None
    return {"gps_lat": round(lat, 7), "gps_lon": round(lon, 7), "gps_alt": altitude}


def _iso6709_angle(text: str, degree_digits: int) -> float | None:
    """±DD.DD, ±DDMM.MM or ±DDDMMSS.SS (the count of integer digits says which)."""
    sign = -1 if text[0] == "-" else 1
    whole, _, fraction = text[1:].partition(".")
    fraction = float("0." + fraction) if fraction else 0.0
    if len(whole) == degree_digits:
        return sign * (int(whole) + fraction)
    if len(whole) == degree_digits + 2:
        return sign * (int(whole[:degree_digits]) + (int(whole[degree_digits:]) + fraction) / 60)
    if len(whole) == degree_digits + 4:
        minutes, seconds = int(whole[degree_digits:degree_digits + 2]), int(whole[degree_digits + 2:]) + fraction
        return sign * (int(whole[:degree_digits]) + minutes / 60 + seconds / 3600)
    return None


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def poster_frame(path: str, max_width: int) -> Any:
    """A PIL image of the frame at 1 s (frame 0 for shorter clips), upright, at most max_width wide."""
    from PIL import Image

    reason = ""
    for seek in (POSTER_AT_S, 0.0):
        data, reason = _grab_frame(path, seek, max_width)
        if data:
            return Image.open(io.BytesIO(data))
    raise MediaError("corrupt", "ffmpeg decoded no video frame" + (f" ({reason})" if reason else ""))


def _grab_frame(path: str, seek: float, max_width: int) -> tuple[bytes, str]:
    """The PPM bytes of one frame (empty when there is none) and ffmpeg's last complaint."""
    command = [_tool("ffmpeg"), "-nostdin", "-v", "error", "-ss", f"{seek:g}", "-i", path, "-frames:v", "1",
               "-vf", f"scale='min({max_width},iw)':-2", "-f", "image2pipe", "-c:v", "ppm", "-"]
    try:
        done = subprocess.run(command, capture_output=True, timeout=POSTER_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise MediaError("corrupt", f"ffmpeg gave no frame within {POSTER_TIMEOUT_S} s") from None
    complaints = done.stderr.decode("utf-8", "replace").strip().splitlines()
    return (done.stdout if done.returncode == 0 else b""), (complaints[-1][:300] if complaints else "")
