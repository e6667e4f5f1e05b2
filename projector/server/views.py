"""The JSON views of the show, the totals and the displays that the API and the panel share."""

from __future__ import annotations

import time
from typing import Any

from projector.core.cues import show_to_wire
from projector.core.protocol import totals_to_wire
from projector.core.state import (
    ShowState,
)
from projector.server.fleet import Fleet, fleet_json
from projector.server.hub import DisplayRecord, Hub
from projector.server.web.http import rfc3339


def show_json(state: ShowState) -> dict[str, Any]:
    return {
        "show": None if state.show is None else show_to_wire(state.show),
        "program": state.program,
        "preview": state.preview,
        "program_at": state.program_at,
        "held": state.held,
        "blackout": state.blackout,
        "rev": state.rev,
        "program_target": state.program_target,
    }


#: A display not heard from for this long is shown as silent on the panel.
SILENT_AFTER = 15.0


def display_json(record: DisplayRecord) -> dict[str, Any]:
    status = record.status
    return {
        "name": record.name,
        "address": record.address,
        "resolution": list(record.resolution),
        "connected": record.connected,
        "connected_at": rfc3339(record.connected_at),
        "last_seen": rfc3339(record.last_seen),
        "silent": record.connected and time.time() - record.last_seen > SILENT_AFTER,
        "scene": status.scene if status else None,
        "fps": status.fps if status else None,
        "frame_p99_ms": status.frame_p99_ms if status else None,
        "rev": status.rev if status else None,
        "error": status.error if status else None,
        "thumbnail_at": rfc3339(record.thumbnail_at),
        "preview_thumbnail_at": rfc3339(record.preview_thumbnail_at),
        "preview_for": record.preview_for,
        # Pictures its show needs: in its cache / still to fetch (None: it does not say).
        "media_ready": status.media_ready if status else None,
        "media_missing": status.media_missing if status else None,
    }


def displays_json(hub: Hub, fleet: Fleet | None = None) -> list[dict[str, Any]]:
    queued = {c.name: len(c.buffer) for c in hub.clients}
    return [
        {**display_json(r), "queued": queued.get(r.name, 0), **(fleet_json(fleet, r) if fleet else {})}
        for r in sorted(hub.records.values(), key=lambda r: r.name)
    ]


def totals_json(state: ShowState) -> dict[str, Any]:
    return {
        **totals_to_wire(state.totals),
        "goal": state.campaign.goal,
        "record": state.campaign.record,
        "record_beaten_at": rfc3339(state.record_beaten_at),
    }
