"""Variants: made once on a process pool, a bad picture counted and skipped, never the whole batch."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from media.dossier import DEMO_DIR
from media.library import MediaLibrary
from media.variants import VARIANTS, jobs_for, prepare, variant_path


def test_every_variant_is_made_on_a_process_pool_and_only_once(tmp_path: Path) -> None:
    library = MediaLibrary(tmp_path / "media")
    pictures = []
    for case_id in ("ayse-karaman", "tarek-abdelhady"):
        item = library.ingest((DEMO_DIR / case_id / "portrait.png").read_bytes(), "p.png")
        pictures.append((item.hash, item.faces.focus))
    jobs = jobs_for(library.root, pictures)
    assert len(jobs) == 2 * len(VARIANTS)
    seen = []
    progress = prepare(jobs, workers=2, on_change=lambda p: seen.append(p.done))
    assert (progress.done, progress.failed, progress.running) == (len(jobs), 0, False)
    assert seen[-1] == len(jobs)
    for media_hash, focus in pictures:
        for variant in VARIANTS.values():
            path = variant_path(library.variants_root, media_hash, variant, focus)
            with Image.open(path) as image:
                if variant.size is not None:
                    assert image.size == variant.size
                else:
                    assert max(image.size) == variant.fit
    assert jobs_for(library.root, pictures) == []  # made once: nothing left to do


def test_a_broken_original_is_counted_and_the_batch_goes_on(tmp_path: Path) -> None:
    library = MediaLibrary(tmp_path / "media")
    good = library.ingest((DEMO_DIR / "ayse-karaman" / "portrait.png").read_bytes(), "p.png")
    bad = library.ingest((DEMO_DIR / "tarek-abdelhady" / "portrait.png").read_bytes(), "q.png")
    library.path_of(bad.hash).write_bytes(b"rotten")
    jobs = jobs_for(library.root, [(good.hash, None), (bad.hash, None)], [VARIANTS["thumb"]])
    progress = prepare(jobs, workers=1)
    assert (progress.done, progress.failed) == (2, 1)
    assert bad.hash[:12] in progress.errors[0]
    assert variant_path(library.variants_root, good.hash, VARIANTS["thumb"], None).is_file()


def test_a_batch_stops_when_asked(tmp_path: Path) -> None:
    library = MediaLibrary(tmp_path / "media")
    item = library.ingest((DEMO_DIR / "ayse-karaman" / "portrait.png").read_bytes(), "p.png")
    jobs = jobs_for(library.root, [(item.hash, None)])
    progress = prepare(jobs, workers=1, should_stop=lambda: True)
    assert progress.done == 0 and not progress.running
