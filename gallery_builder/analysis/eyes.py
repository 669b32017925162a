"""Eyes open or closed, from the 68 face landmarks the dlib backend stores (buffalo_l's five points
have no eyelids): the eye aspect ratio (Soukupová and Čech, 2016) of each eye, the eyelids' two
vertical gaps over the eye's width; a face whose eyes average under CLOSED_EAR is blinking.
Shoot review proposes a frame where someone blinks only when its group has nothing better."""
from __future__ import annotations

import math
from typing import Iterable, Sequence

CLOSED_EAR = 0.2                     # open eyes measure ~0.25-0.35, a blink falls under ~0.2
LEFT_EYE, RIGHT_EYE = range(36, 42), range(42, 48)   # iBUG 68-point indices: corner, 2 top, corner, 2 bottom


def eye_aspect_ratio(points: Sequence[tuple[float, float]]) -> float:
    """(|p2 - p6| + |p3 - p5|) / (2 |p1 - p4|) for one eye's six points, in pixels."""
    p1, p2, p3, p4, p5, p6 = points
    width = math.dist(p1, p4)
    return (math.dist(p2, p6) + math.dist(p3, p5)) / (2 * width) if width else 0.0


def eyes_closed(landmarks: Sequence[Sequence[float]] | None, aspect: float) -> bool | None:
    """Whether a face's eyes are closed; None without 68 landmarks. `landmarks` are fractions of the
    picture, `aspect` its width over its height (so both axes are measured alike)."""
    if not landmarks or len(landmarks) != 68:
        return None
    points = [(x * aspect, y) for x, y in landmarks]
    ratios = [eye_aspect_ratio([points[index] for index in eye]) for eye in (LEFT_EYE, RIGHT_EYE)]
    return sum(ratios) / 2 < CLOSED_EAR


def anyone_blinks(faces: Iterable[Sequence[Sequence[float]] | None], aspect: float) -> bool | None:
    """True when any face of a photo has its eyes closed, False when every face measured has them
    open, None when no face could be measured."""
    seen = [closed for closed in (eyes_closed(face, aspect) for face in faces) if closed is not None]
    return any(seen) if seen else None
