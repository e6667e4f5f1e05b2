"""Guessing a message's language when the sender did not say.

The language picks which blocklist applies and is shown to moderators. We use
py3langid (langid.py's model, 97 languages, pure Python + numpy, no network):
about 0.2 ms per message once its model is loaded (~0.8 s, on the worker
thread that meets the first message without a language). A guess below :data:`MIN_CONFIDENCE` is no guess:
short texts ("Stay strong") are ambiguous, and a wrong language is worse than
none (messages with no language are held to every blocklist).
"""

from __future__ import annotations

import threading
from typing import Any

#: Normalised probability under which we say "unknown".
MIN_CONFIDENCE = 0.45
#: Fewer letters than this and we do not even try.
MIN_LETTERS = 8

_lock = threading.Lock()
_identifier: Any = None


def _load() -> Any:
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

            _identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    return _identifier


def detect(text: str) -> str | None:
    """The language code (ISO 639-1, e.g. 'tr') of ``text``, or None when unsure."""
    if sum(ch.isalpha() for ch in text) < MIN_LETTERS:
        return None
    lang, confidence = _load().classify(text)
    return str(lang) if confidence >= MIN_CONFIDENCE else None
