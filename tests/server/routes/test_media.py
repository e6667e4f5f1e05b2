"""The server's media around the uploads: variants made in the background with progress for the panel,
and each display's picture readiness where operators can see it."""

from __future__ import annotations

import asyncio
import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from media.dossier import DEMO_DIR
from projector.server.config import Config
from projector.server.services import SERVICES
from projector.store.media import MediaRecord
from tests.conftest import RunningServer, recv_json


async def test_variants_are_prepared_in_the_background_and_progress_is_reported(live: RunningServer) -> None:
    headers = {"Authorization": f"Bearer {live.tokens['operator']}", "Content-Type": "image/png"}
    async with live.session.post(
        live.base + "/api/v1/media",
        data=(DEMO_DIR / "ramon-dizon" / "portrait.png").read_bytes(),
        headers=headers,
    ) as r:
        media = await r.json()
    status, _ = await live.put_json(
        "/api/v1/cases/ramon",
        {"name": "Ramon", "country": "PH", "portrait": media["hash"], "focus": [0.5, 0.35]},
    )
    assert status == 200
    variants = live.app[SERVICES].media.library.variants_root / media["hash"][:2] / media["hash"]
    wanted = {"thumb.jpg", "portrait-1080@0.500,0.350.jpg", "cutout-1080@0.500,0.350.png"}
    for _ in range(300):  # the upload's batch (the thumbnail), then the case's (its four variants)
        status, progress = await live.get("/api/v1/media/progress", token="operator")
        names = {p.name for p in variants.iterdir()} if variants.is_dir() else set()
        if not progress["running"] and wanted <= names:
            break
        await asyncio.sleep(0.1)
    assert wanted <= names, names
    assert progress["failed"] == 0 and progress["done"] == progress["total"] == 4, progress
    sizes = {n: Image.open(variants / n).size for n in names}
    assert sizes["portrait-1080@0.500,0.350.jpg"] == (806, 1080)


async def test_a_display_reports_which_pictures_it_has(live: RunningServer) -> None:
    ws = await live.display("kiosk", capabilities=("status",))
    try:
        await recv_json(ws)  # snapshot
        status = {
            "v": 1,
            "type": "status",
            "fps": 60.0,
            "frame_p99_ms": 3.0,
            "scene": "portrait",
            "rev": 1,
            "error": None,
            "media_ready": 3,
            "media_missing": 2,
        }
        await ws.send(json.dumps(status))
        for _ in range(50):
            _, body = await live.get("/api/v1/displays", token="operator")
            kiosk = [d for d in body["displays"] if d["name"] == "kiosk"]
            if kiosk and kiosk[0]["media_missing"] is not None:
                break
            await asyncio.sleep(0.05)
        assert (kiosk[0]["media_ready"], kiosk[0]["media_missing"]) == (3, 2)
    finally:
        await ws.close()


async def test_the_panel_state_carries_the_variant_progress(live: RunningServer) -> None:

    message = json.loads(live.app[SERVICES].panels.message())
    assert set(message["media"]) >= {"total", "done", "failed", "running"}


def test_clean_png_bytes_are_small() -> None:  # a guard on what the fixtures above upload
    out = io.BytesIO()
    Image.open(DEMO_DIR / "ramon-dizon" / "portrait.png").save(out, "PNG")
    assert len(out.getvalue()) < 8 * 1024 * 1024


@pytest.fixture
def config(tmp_path: Path) -> Config:
    # A small bound for ad-hoc variants, so 200 requests pass it many times over.
    return replace(Config(), data_dir=tmp_path / "data", port=0, variant_cache_bytes=ADHOC_BOUND)


ADHOC_BOUND = 1_000_000


def _noisy_png() -> bytes:
    """A small picture that does not compress to nothing (each variant tens of KB)."""
    image = Image.effect_noise((240, 320), 80).convert("RGB")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


async def _variant(live: RunningServer, media_hash: str, focus: str) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {live.tokens['display']}"}
    url = f"{live.base}/api/v1/media/{media_hash}/variants/portrait-1080?focus={focus}"
    async with live.session.get(url, headers=headers) as r:
        await r.read()
        return r.status, r.headers.get("ETag", "")


def _files(root: Path) -> dict[Path, int]:
    return {p: p.stat().st_size for p in root.rglob("*") if p.is_file()} if root.is_dir() else {}


async def test_variants_at_any_focus_are_bounded_on_disk_and_cases_variants_are_kept(
    live: RunningServer,
) -> None:
    headers = {"Authorization": f"Bearer {live.tokens['operator']}", "Content-Type": "image/png"}
    async with live.session.post(live.base + "/api/v1/media", data=_noisy_png(), headers=headers) as r:
        assert r.status in (200, 201), await r.text()
        media_hash = (await r.json())["hash"]
    status, _ = await live.put_json(
        "/api/v1/cases/ramon",
        {"name": "Ramon", "country": "PH", "portrait": media_hash, "focus": [0.437, 0.291]},
    )
    assert status == 200
    service = live.app[SERVICES].media
    case_file = service.library.variants_root / media_hash[:2] / media_hash / "portrait-1080@0.437,0.291.jpg"
    for _ in range(300):
        if case_file.is_file() and not service.progress.running:
            break
        await asyncio.sleep(0.1)
    assert case_file.is_file()
    adhoc_root = service.adhoc.root

    # Nearby points snap to one grid point: one file, one ETag.
    first = await _variant(live, media_hash, "0.501,0.302")
    second = await _variant(live, media_hash, "0.499,0.298")
    assert first[0] == second[0] == 200 and first[1] == second[1]
    assert len(_files(adhoc_root)) == 1
    # The case's own focus is the case's file, made ahead and not counted in the cache.
    status, etag = await _variant(live, media_hash, "0.437,0.291")
    assert status == 200 and "0.437,0.291" in etag and len(_files(adhoc_root)) == 1

    # 200 distinct points (each a grid point, nudged off it), four at a time.
    points = [f"{(i % 20) / 20 + 0.01:.3f},{(i // 20) / 20 + 0.01:.3f}" for i in range(200)]
    sizes: set[int] = set()
    for start in range(0, 200, 4):
        answers = await asyncio.gather(*(_variant(live, media_hash, p) for p in points[start : start + 4]))
        assert all(status == 200 for status, _ in answers), answers
        files = _files(adhoc_root)
        sizes.update(files.values())
        # Past the bound only by the few files being sent at that moment.
        assert sum(files.values()) <= ADHOC_BOUND + 4 * max(files.values()), sum(files.values())
    # Within the bound once the last reader is done (its eviction runs as its response ends).
    for _ in range(40):
        files = _files(adhoc_root)
        if sum(files.values()) <= ADHOC_BOUND:
            break
        await asyncio.sleep(0.05)
    assert sum(files.values()) <= ADHOC_BOUND, sum(files.values())
    assert 200 * min(sizes) > 2 * ADHOC_BOUND  # so the bound was really met (and kept)
    assert len(files) < 200 and service.adhoc.total == sum(files.values())
    # Least recently used went first: a point asked for on its own, after all of those
    # (the first, long evicted, so made again), is still there. The last batch's four
    # finish in any order, and the bound holds only a few files, so which of them is
    # newest is up to the thread pool; one request alone is not.
    assert not any(p.name == "portrait-1080@0.000,0.000.jpg" for p in files)
    assert (await _variant(live, media_hash, points[0]))[0] == 200
    files = _files(adhoc_root)
    assert any(p.name == "portrait-1080@0.000,0.000.jpg" for p in files)
    assert sum(files.values()) <= ADHOC_BOUND and service.adhoc.total == sum(files.values())
    assert case_file.is_file()


async def test_video_and_slides_cues_must_name_uploaded_media_of_the_right_kind(live: RunningServer) -> None:
    picture, video, missing = "a" * 64, "b" * 64, "c" * 64
    await live.app[SERVICES].store.call(lambda s: s.add_media(MediaRecord(picture, "image/png", 64, 64, 100)))
    await live.app[SERVICES].store.call(
        lambda s: s.add_media(MediaRecord(video, "video/mp4", 64, 64, 100, seconds=3.0))
    )
    headers = {"Authorization": f"Bearer {live.tokens['operator']}"}

    async def put(cue: object) -> tuple[int, dict[str, Any]]:
        body = {"id": "night", "cues": [{"id": "ok", "scene": "totals"}, cue]}
        async with live.session.put(live.base + "/api/v1/show", json=body, headers=headers) as r:
            return r.status, await r.json()

    for cue, field, words in [
        ({"id": "v", "scene": "video"}, "cues[1].params.media", "must be the hash of an uploaded video"),
        ({"id": "v", "scene": "video", "params": {"media": missing}}, "cues[1].params.media", "upload it first"),
        ({"id": "v", "scene": "video", "params": {"media": picture}}, "cues[1].params.media", "is a picture"),
        ({"id": "s", "scene": "slides", "params": {"slide_1": picture, "slide_2": video}}, "cues[1].params.slide_2",
         "is a video, not a picture"),
        ({"id": "s", "scene": "slides"}, "cues[1].params.slide_1", "at least one picture"),
    ]:  # fmt: skip
        status, body = await put(cue)
        assert status == 422, body
        assert body["error"]["field"] == field and words in body["error"]["message"], body
    status, body = await put({"id": "v", "scene": "video", "params": {"media": video}, "hold": "end"})
    assert status == 200, body
    status, body = await put(
        {"id": "s", "scene": "slides", "params": {"slide_1": picture, "caption_1": "Hi"}}
    )
    assert status == 200, body
