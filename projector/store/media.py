"""Case dossiers' media in the store (issue 7). Filled in by the media work."""

from __future__ import annotations

from projector.store.base import StoreBase

#: Schema migration for media and dossiers: ONE entry of ``MIGRATIONS``; its text is final once released.
MEDIA_MIGRATION = ""


class MediaMixin(StoreBase):
    pass
