"""Case dossiers' media in the store (issue 7): uploaded pictures, and the parts of a case beyond its text.

The picture files themselves live beside the database, content-addressed
(``DATA_DIR/media/<sha256[:2]>/<sha256>``, see ``media.library``); the
``media`` table says what each one is (type, size, the face found in it, who
uploaded it), so nothing has to open a file to answer. A case keeps its
default-language text in ``story``/``ask`` as before; its language, the
translations, the focus point and further portraits are extra columns, the
structured ones as JSON, so a case is still one row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from projector.core.model import DEFAULT_LANG, Case, CaseStatus, CaseText, Portrait
from projector.store.connection import StoreBase

#: Schema migration for media and dossiers: ONE entry of ``MIGRATIONS``; its text is final once released.
MEDIA_MIGRATION = """
CREATE TABLE media (
    hash TEXT PRIMARY KEY CHECK (length(hash) = 64),
    mime TEXT NOT NULL,
    width INTEGER NOT NULL CHECK (width > 0),
    height INTEGER NOT NULL CHECK (height > 0),
    bytes INTEGER NOT NULL CHECK (bytes > 0),
    faces INTEGER NOT NULL DEFAULT 0,
    focus_x REAL,
    focus_y REAL,
    name TEXT,
    uploaded_by TEXT,
    created_at REAL NOT NULL
) WITHOUT ROWID;
ALTER TABLE cases ADD COLUMN lang TEXT NOT NULL DEFAULT 'en';
ALTER TABLE cases ADD COLUMN translations TEXT NOT NULL DEFAULT '{}';
ALTER TABLE cases ADD COLUMN focus TEXT;
ALTER TABLE cases ADD COLUMN portraits TEXT NOT NULL DEFAULT '[]';
"""

#: Schema migration for videos (issue 18): ONE entry of ``MIGRATIONS``, after the others.
#: A video's running time, from its packets; NULL for a picture.
VIDEO_MIGRATION = "ALTER TABLE media ADD COLUMN seconds REAL;"

#: The columns of ``cases``, in the order ``case_row`` gives and ``case_from_row`` takes.
CASE_COLUMNS = "id, name, country, story, ask, status, portrait, lang, translations, focus, portraits"


def case_row(case: Case) -> tuple[Any, ...]:
    return (
        case.id,
        case.name,
        case.country,
        case.story,
        case.ask,
        case.status.value,
        case.portrait,
        case.lang,
        json.dumps({k: [t.story, t.ask] for k, t in case.translations.items()}, ensure_ascii=False),
        None if case.focus is None else json.dumps(list(case.focus)),
        json.dumps([[p.media, None if p.focus is None else list(p.focus)] for p in case.portraits]),
    )


def case_from_row(row: tuple[Any, ...]) -> Case:
    case_id, name, country, story, ask, status, portrait, lang, translations, focus, portraits = row
    texts = {k: CaseText(v[0], v[1]) for k, v in json.loads(translations or "{}").items()}
    fx = json.loads(focus) if focus else None
    return Case(
        case_id,
        name,
        country,
        story,
        ask,
        CaseStatus(status),
        portrait,
        lang=lang or DEFAULT_LANG,
        translations=MappingProxyType(texts),
        focus=None if fx is None else (float(fx[0]), float(fx[1])),
        portraits=tuple(
            Portrait(m, None if f is None else (float(f[0]), float(f[1])))
            for m, f in json.loads(portraits or "[]")
        ),
    )


@dataclass(frozen=True, slots=True)
class MediaRecord:
    """One stored picture: what it is, and the face-aware focus found when it was uploaded."""

    hash: str
    mime: str
    width: int
    height: int
    bytes: int
    faces: int = 0
    #: The centre of the largest face (None: no face found; scenes use their default).
    focus: tuple[float, float] | None = None
    #: The file name it came with (for people; never used as a path).
    name: str | None = None
    uploaded_by: str | None = None
    created_at: float = 0.0
    #: A video's running time in seconds (None: a picture).
    seconds: float | None = None

    @property
    def is_video(self) -> bool:
        return self.mime.startswith("video/")

    @property
    def is_font(self) -> bool:
        """An uploaded font for the brand kit (``font/ttf``, ``font/otf``): no picture, no variants."""
        return self.mime.startswith("font/")


_MEDIA_COLUMNS = (
    "hash, mime, width, height, bytes, faces, focus_x, focus_y, name, uploaded_by, created_at, seconds"
)


def _media(row: tuple[Any, ...]) -> MediaRecord:
    h, mime, w, ht, size, faces, fx, fy, name, by, at, seconds = row
    focus = None if fx is None or fy is None else (float(fx), float(fy))
    length = None if seconds is None else float(seconds)
    return MediaRecord(h, mime, int(w), int(ht), int(size), int(faces), focus, name, by, float(at), length)


class MediaMixin(StoreBase):
    def add_media(self, record: MediaRecord) -> bool:
        """Record a stored picture; False when the same content was there already (kept as it was)."""
        r = record
        with self._transaction() as conn:
            cursor = conn.execute(
                f"INSERT INTO media ({_MEDIA_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (hash) DO NOTHING",
                (
                    r.hash,
                    r.mime,
                    r.width,
                    r.height,
                    r.bytes,
                    r.faces,
                    None if r.focus is None else r.focus[0],
                    None if r.focus is None else r.focus[1],
                    r.name,
                    r.uploaded_by,
                    r.created_at,
                    r.seconds,
                ),
            )
            return cursor.rowcount > 0

    def get_media(self, media_hash: str) -> MediaRecord | None:
        row = self._conn.execute(
            f"SELECT {_MEDIA_COLUMNS} FROM media WHERE hash = ?", (media_hash,)
        ).fetchone()
        return None if row is None else _media(row)

    def list_media(self) -> list[MediaRecord]:
        """Every stored picture and video, oldest first."""
        rows = self._conn.execute(f"SELECT {_MEDIA_COLUMNS} FROM media ORDER BY created_at, hash")
        return [_media(row) for row in rows]
