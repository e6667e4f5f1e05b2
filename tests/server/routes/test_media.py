"""The server's media around the uploads: variants made in the background with progress for the panel,
and each display's picture readiness where operators can see it."""

from __future__ import annotations

import asyncio
import io
import json

from PIL import Image

from media.dossier import DEMO_DIR
from projector.server.services import SERVICES
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
