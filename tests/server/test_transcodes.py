"""Background transcodes through the real server: queued on upload, progress, a stored copy by hash."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import av

from projector.server.services import SERVICES
from tests.conftest import RunningServer
from tests.video_files import make_video


def read(path: Path) -> bytes:
    return path.read_bytes()


async def test_a_vp9_upload_gets_an_h264_copy_with_progress(live: RunningServer, tmp_path: Path) -> None:
    source = make_video(tmp_path / "march.webm", codec="libvpx-vp9", container="webm", seconds=2.0)
    headers = {"Authorization": f"Bearer {live.tokens['operator']}"}
    async with live.session.post(
        live.base + "/api/v1/media/videos", data=read(source), params={"name": "march.webm"}, headers=headers
    ) as r:
        body = await r.json()
        assert r.status == 201, body
    assert body["transcodes"] == ["h264-1080"]
    url = live.base + f"/api/v1/media/{body['hash']}/transcodes"
    viewer = {"Authorization": f"Bearer {live.tokens['display']}"}
    seen: list[dict[str, Any]] = []
    for _ in range(500):
        async with live.session.get(url, headers=viewer) as r:
            assert r.status == 200
            status = (await r.json())["transcodes"]
        seen.append(status[0])
        if status[0]["state"] in ("done", "failed"):
            break
        await asyncio.sleep(0.02)
    done = seen[-1]
    assert done["state"] == "done" and done["progress"] == 1.0 and done["hash"], seen[-3:]
    record = await live.app[SERVICES].store.call(lambda s: s.get_media(done["hash"]))
    assert record is not None and record.mime == "video/mp4" and record.name == "march.webm (h264-1080)"
    assert live.app[SERVICES].media.video_seconds[done["hash"]] == record.seconds
    path = live.app[SERVICES].media.library.path_of(done["hash"])
    with av.open(str(path)) as copy:
        assert copy.streams.video[0].codec_context.name == "h264"
    # An H.264 upload within 1080p needs no copy; a picture has no transcodes at all.
    async with live.session.post(live.base + "/api/v1/media/videos", data=read(path), headers=headers) as r:
        assert (await r.json())["transcodes"] == []
    async with live.session.get(live.base + f"/api/v1/media/{'0' * 64}/transcodes", headers=viewer) as r:
        assert r.status == 404
