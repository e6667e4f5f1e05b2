"""The panel hub's push task stops when asked, whatever it is doing at that moment."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from projector.server.config import Config
from projector.server.services import build_services


async def test_close_stops_the_push_task_even_when_a_change_arrives_with_the_cancel(tmp_path: Path) -> None:
    panels = build_services(replace(Config(), data_dir=tmp_path)).panels
    panels.start()
    for _ in range(20):
        await asyncio.sleep(0.01)
        # A change and the shutdown at the same moment: on 3.11 asyncio.wait_for swallowed
        # this cancel and close() then waited forever (a hung server shutdown).
        panels.dirty.set()
        closing = asyncio.ensure_future(panels.close())
        done, _ = await asyncio.wait({closing}, timeout=1.0)
        assert done, "close() did not finish: the push task ignored its cancel"
        panels.start()
    await panels.close()
