"""Where the face is: the default focus point of an uploaded portrait.

A portrait is cropped to many shapes (a tall panel beside the name, a square
thumbnail, a 4K facade), and a crop around the middle of the picture cuts
heads off group photos and off-centre portraits. So each upload is searched
once for faces with OpenCV's bundled frontal-face Haar cascade (no model to
download, a few tens of milliseconds on a downscaled copy), and the centre of
the largest face, a little above the middle of its box (the eyes, not the
mouth), becomes the picture's focus. No face, or no OpenCV: the focus is
``NO_FACE_FOCUS``, the middle of the upper part where a face usually is. The
operator can always move it in the panel or the dossier.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from PIL import Image, ImageOps

log = logging.getLogger(__name__)

#: The focus of a picture with no face found.
NO_FACE_FOCUS: tuple[float, float] = (0.5, 0.4)
#: Faces are searched in a copy this many pixels on its longer side: plenty for a
#: portrait, and the search cost grows with the area.
SEARCH_SIDE = 640
#: How far above the middle of the face box the focus goes, as a share of its height.
EYE_LIFT = 0.1

_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class FaceResult:
    """The focus to use and how many faces were found (0: ``focus`` is ``NO_FACE_FOCUS``)."""

    focus: tuple[float, float]
    faces: int
    #: The largest face's box as fractions (left, top, width, height), for the panel.
    box: tuple[float, float, float, float] | None = None


@lru_cache(maxsize=1)
def _cascade() -> Any:
    """The cascade, loaded once per process; None when OpenCV or its data is missing."""
    try:
        import cv2
    except ImportError:
        log.warning("OpenCV is not installed: portraits get the default focus, not the face")
        return None
    make = getattr(cv2, "CascadeClassifier", None)
    data = getattr(getattr(cv2, "data", None), "haarcascades", None)
    if make is None or not data:
        log.warning("this OpenCV (%s) has no Haar cascades: portraits get the default focus", cv2.__version__)
        return None
    cascade = make(data + "haarcascade_frontalface_default.xml")
    if cascade.empty():
        log.warning("OpenCV's face cascade could not be loaded: portraits get the default focus")
        return None
    return cascade


def available() -> bool:
    """True when faces can be searched for here."""
    return _cascade() is not None


def find_focus(image: Image.Image) -> FaceResult:
    """The focus for an upright picture: the largest face's eyes, else ``NO_FACE_FOCUS``. Never raises."""
    try:
        return _find(image)
    except Exception:  # a detector failure costs the face, never the upload
        log.exception("face search failed; using the default focus")
        return FaceResult(NO_FACE_FOCUS, 0)


def _find(image: Image.Image) -> FaceResult:
    cascade = _cascade()
    if cascade is None:
        return FaceResult(NO_FACE_FOCUS, 0)
    import cv2
    import numpy as np

    grey = image.convert("L")
    grey.thumbnail((SEARCH_SIDE, SEARCH_SIDE), Image.Resampling.BILINEAR)
    grey = ImageOps.equalize(grey)  # dim photos and night shots find faces too
    pixels = np.asarray(grey)
    w, h = grey.size
    smallest = max(24, min(w, h) // 12)
    with _lock:  # one cascade object per process; detectMultiScale is not documented thread-safe
        found = cascade.detectMultiScale(
            pixels,
            scaleFactor=1.1,
            minNeighbors=5,
            minSize=(smallest, smallest),
            flags=cv2.CASCADE_SCALE_IMAGE,
        )
    boxes = [tuple(int(v) for v in box) for box in found] if len(found) else []
    if not boxes:
        return FaceResult(NO_FACE_FOCUS, 0)
    x, y, bw, bh = max(boxes, key=lambda b: b[2] * b[3])
    fx = (x + bw / 2) / w
    fy = (y + bh / 2 - EYE_LIFT * bh) / h
    focus = (round(min(max(fx, 0.0), 1.0), 4), round(min(max(fy, 0.0), 1.0), 4))
    return FaceResult(focus, len(boxes), (x / w, y / h, bw / w, bh / h))
