"""Eyes open or closed from 68 landmarks: the eye aspect ratio on planted eyes, both axes scaled by
the picture's aspect, and a photo blinking when any face of it does."""
from __future__ import annotations

from gallery_builder.analysis.eyes import anyone_blinks, eye_aspect_ratio, eyes_closed


def face(openness: float, width: float = 0.04) -> list[list[float]]:
    """68 landmarks (fractions) whose eyes are `width` wide and open by `openness` of their width."""
    points = [[0.5, 0.5]] * 68
    for start, left in ((36, 0.40), (42, 0.56)):
        gap = openness * width / 2
        points[start:start + 6] = [[left, 0.4], [left + width / 3, 0.4 - gap], [left + 2 * width / 3, 0.4 - gap],
                                   [left + width, 0.4], [left + 2 * width / 3, 0.4 + gap],
                                   [left + width / 3, 0.4 + gap]]
    return points


def test_the_ratio_of_a_planted_eye():
    assert abs(eye_aspect_ratio([(0, 0), (1, -1), (2, -1), (3, 0), (2, 1), (1, 1)]) - 2 / 3) < 1e-9


def test_open_and_closed_eyes_and_the_aspect():
    assert eyes_closed(face(0.6), 1.0) is False
    assert eyes_closed(face(0.1), 1.0) is True
    # the same fractions on a picture twice as wide: eyes twice as wide in pixels, so half as open
    assert eyes_closed(face(0.3), 1.0) is False and eyes_closed(face(0.3), 2.0) is True
    assert eyes_closed(None, 1.0) is None and eyes_closed([[0.1, 0.1]] * 5, 1.0) is None


def test_a_photo_blinks_when_anyone_does():
    assert anyone_blinks([face(0.6), face(0.1)], 1.0) is True
    assert anyone_blinks([face(0.6), None], 1.0) is False
    assert anyone_blinks([None], 1.0) is None
