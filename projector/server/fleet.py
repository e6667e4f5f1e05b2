"""The fleet on the server: what each display is called, its groups, its health and its alerts.

``Fleet`` keeps the operators' settings for every display (from the store:
name, groups, latency offset, safe areas, retired or not), tells a display who it is
(``you`` in its snapshot, and a ``you`` frame when an operator changes it),
checks cue targets against the groups and displays that exist, and turns
what displays report into alerts (``projector.core.health``) for the panel
and ``/metrics``.

A group exists while a (not retired) display is in it, or when an operator
declared it (``PUT /api/v1/groups/{name}``), so a show for a group can be
loaded before its screens are set up.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from projector.core import wire
from projector.core.cues import Show
from projector.core.fleet import check_target, parse_target
from projector.core.health import Observed, alerts, slow_since
from projector.core.model import ValidationError
from projector.core.protocol import Command, Status, You
from projector.core.safe_area import SafeArea, safe_area_to_wire
from projector.server import tasks
from projector.server.hub import DisplayConnection, DisplayRecord, Hub
from projector.server.web.metrics import Metrics
from projector.store.fleet import DisplaySettings
from projector.store.writer import StoreWriter

log = logging.getLogger("projector.server.fleet")

#: How often displays' health is looked at for new alerts.
SWEEP_INTERVAL = 1.0

#: Close code for a display an operator retired (4000-4999: application codes).
CLOSE_RETIRED = 4003


class Fleet:
    def __init__(self, hub: Hub, store: StoreWriter, metrics: Metrics, public_url: str) -> None:
        self.hub = hub
        self.store = store
        self.public_url = public_url
        self._sweeper: asyncio.Task[None] | None = None
        #: Operators' settings by hello name (a display with none is called by its hello name).
        self.settings: dict[str, DisplaySettings] = {}
        self.declared: set[str] = set()
        #: Alerts each display had at the last look, to count new ones.
        self._alerting: dict[str, set[str]] = {}
        #: Read-modify-write of settings, one at a time: two operators editing two outputs'
        #: safe areas at once must not lose either edit across the store's await.
        self._editing = asyncio.Lock()
        registry = metrics.registry
        self.alerts_raised = Counter(
            "projector_display_alerts_raised", "Alerts raised, by kind", ["alert"], registry=registry
        )
        registry.register(FleetCollector(hub, self))
        # A display an operator named, grouped or retired is kept in the hub's records for
        # good; only never-configured ones expire (see ``Hub.forget_unknown``).
        hub.configured = self.configured

    def configured(self, hello_name: str) -> bool:
        return hello_name in self.settings

    async def start(self, on_change: Callable[[], None]) -> None:
        """Read the settings, then sweep health every ``SWEEP_INTERVAL``; ``on_change`` when alerts change."""
        await self.load()
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep(on_change), name="fleet-sweep")

    async def close(self) -> None:
        await tasks.stop(self._sweeper)

    async def _sweep(self, on_change: Callable[[], None]) -> None:
        while True:
            await asyncio.sleep(SWEEP_INTERVAL)
            try:
                if self.sweep(time.time()):
                    on_change()
            except Exception:
                log.exception("fleet health sweep failed")

    async def load(self) -> None:
        def read(store: Any) -> tuple[list[DisplaySettings], list[str]]:
            return store.fleet_displays(), store.declared_groups()

        displays, groups = await self.store.call(read)
        self.settings = {d.hello_name: d for d in displays}
        self.declared = set(groups)

    # --- who is who ---------------------------------------------------------------------

    def settings_for(self, hello_name: str) -> DisplaySettings:
        return self.settings.get(hello_name) or DisplaySettings(hello_name, hello_name)

    def you(self, hello_name: str) -> You:
        s = self.settings_for(hello_name)
        return You(
            s.name, s.groups, s.latency_ms, s.safe_area, s.output_safe_areas, self.submit_url(), s.locale
        )

    def submit_url(self) -> str | None:
        """The public message form as supporters reach it (``public_url`` behind a proxy).

        None when the config does not say: the display then points at its own
        server's ``/submit``, which is right whenever supporters reach that address.
        """
        public = self.public_url.strip().rstrip("/")
        return f"{public}/submit" if public else None

    def active(self) -> list[DisplaySettings]:
        """Every display not retired: those with settings and those only ever seen."""
        found = {s.hello_name: s for s in self.settings.values() if s.retired_at is None}
        for record in self.hub.records.values():
            hello = record.hello_name or record.name
            if hello not in found and hello not in self.settings:
                found[hello] = DisplaySettings(hello, record.name)
        return list(found.values())

    def find(self, name: str) -> DisplaySettings | None:
        """A display (retired ones too) by the name operators call it."""
        for s in self.settings.values():
            if s.name == name:
                return s
        for record in self.hub.records.values():
            if record.name == name:
                return self.settings_for(record.hello_name or record.name)
        return None

    def groups(self) -> dict[str, list[str]]:
        """Every group that exists, with the names of its displays."""
        found: dict[str, list[str]] = {g: [] for g in self.declared}
        for s in self.active():
            for g in s.groups:
                found.setdefault(g, []).append(s.name)
        return {g: sorted(names) for g, names in sorted(found.items())}

    def names(self) -> set[str]:
        return {s.name for s in self.active()}

    def check_name(self, name: str, hello_name: str) -> None:
        """Refuse a rename to a name another display has (retired ones keep theirs)."""
        for s in [*self.active(), *self.settings.values()]:
            if s.name == name and s.hello_name != hello_name:
                raise ValidationError("name", f"another display is already called {name!r}")

    def check_target(self, raw: object, field: str = "target") -> str:
        target = parse_target(raw, field)
        check_target(target, self.groups(), self.names(), field)
        return str(target)

    def check_show(self, show: Show) -> None:
        """Refuse a show whose cues name a group or display the fleet does not have."""
        groups, names = self.groups(), self.names()
        check_target(parse_target(show.target), groups, names, "target")
        for i, cue in enumerate(show.cues):
            if cue.target is not None:
                check_target(parse_target(cue.target), groups, names, f"cues[{i}].target")

    # --- changes from operators ----------------------------------------------------------

    def connections(self, hello_name: str) -> list[DisplayConnection]:
        return [c for c in self.hub.clients if (c.hello_name or c.name) == hello_name]

    async def update(
        self, hello_name: str, change: Callable[[DisplaySettings], DisplaySettings]
    ) -> DisplaySettings:
        """Apply ``change`` to a display's current settings and save them, one edit at a time.

        ``change`` sees the settings as they are once the previous edit is stored,
        and may raise ``ValidationError`` (nothing is stored then).
        """
        async with self._editing:
            new = change(self.settings_for(hello_name))
            await self._save(new)
            return new

    async def save(self, new: DisplaySettings) -> None:
        """Store a display's settings, rename its record, and tell it who it is now."""
        async with self._editing:
            await self._save(new)

    async def _save(self, new: DisplaySettings) -> None:
        await self.store.call(lambda s: s.save_display(new, time.time()))
        old = self.settings_for(new.hello_name)
        self.settings[new.hello_name] = new
        hub = self.hub
        if old.name != new.name and old.name in hub.records:
            record = hub.records.pop(old.name)
            record.name = new.name
            hub.records[new.name] = record
        you = wire.encode(self.you(new.hello_name))
        for conn in self.connections(new.hello_name):
            conn.name = new.name
            hub.send(conn, you)

    def command(self, hello_name: str, command: Command) -> int:
        """Send a command to a display's connections; how many got it."""
        conns = self.connections(hello_name)
        text = wire.encode(command)
        for conn in conns:
            self.hub.send(conn, text)
        return len(conns)

    async def retire(self, settings: DisplaySettings) -> None:
        """Forget a display and refuse it from now on (until un-retired)."""
        await self.save(replace(settings, retired_at=time.time()))
        hub = self.hub
        hub.records.pop(settings.name, None)
        for conn in self.connections(settings.hello_name):
            hub.detach(conn)
            await conn.ws.close(code=CLOSE_RETIRED, message=b"retired by an operator")
        log.info("display %r (hello %r) retired", settings.name, settings.hello_name)

    # --- health --------------------------------------------------------------------------

    @staticmethod
    def on_status(record: DisplayRecord, status: Status, now: float) -> None:
        """Keep what the alerts need from a display's report."""
        record.status_at = now
        target = status.health.target_fps if status.health is not None else None
        record.slow_since = slow_since(record.slow_since, status.fps, target, now)
        if status.error:
            record.last_error, record.last_error_at = status.error, now

    @staticmethod
    def observed(record: DisplayRecord) -> Observed:
        status = record.status
        return Observed(
            connected=record.connected,
            status_at=record.status_at,
            connected_at=record.connected_at,
            fps=status.fps if status else None,
            target_fps=status.health.target_fps if status and status.health else None,
            slow_since=record.slow_since,
            scene=status.scene if status else None,
        )

    def alerts_json(self, record: DisplayRecord, now: float | None = None) -> list[dict[str, str]]:
        found = alerts(self.observed(record), time.time() if now is None else now)
        return [{"code": a.code, "level": a.level, "message": a.message} for a in found]

    def sweep(self, now: float) -> bool:
        """Forget idle unknown displays, then look at every display; log and count new alerts.

        True when a display was forgotten or any display's alerts changed (the panel pushes).
        """
        changed = bool(self.hub.forget_unknown(now))
        current: dict[str, set[str]] = {}
        for record in list(self.hub.records.values()):
            found = alerts(self.observed(record), now)
            codes = current[record.name] = {a.code for a in found}
            before = self._alerting.get(record.name, set())
            for alert in found:
                if alert.code not in before:
                    self.alerts_raised.labels(alert.code).inc()
                    log.warning("display %r: %s", record.name, alert.message)
            changed = changed or codes != before
        changed = changed or set(current) != set(self._alerting)
        self._alerting = current
        return changed


def health_json(record: DisplayRecord) -> dict[str, Any]:
    """The fleet's fields of a display in ``GET /api/v1/displays`` and the panel."""
    status = record.status
    h = status.health if status is not None else None
    return {
        "target_fps": h.target_fps if h else None,
        "dropped_frames": h.dropped if h else None,
        "memory_mb": h.memory_mb if h else None,
        "temperature_c": h.temperature_c if h else None,
        "clock_offset_ms": h.clock_offset_ms if h else None,
        "rtt_ms": h.rtt_ms if h else None,
        "connections": h.connections if h else None,
        "last_error": record.last_error,
        "last_error_at": record.last_error_at,
    }


def fleet_json(fleet: Fleet, record: DisplayRecord) -> dict[str, Any]:
    """A display's fleet fields: who it is, its groups, latency, health and alerts."""
    settings = fleet.settings_for(record.hello_name or record.name)
    return {
        "hello_name": settings.hello_name,
        "groups": list(settings.groups),
        "latency_ms": settings.latency_ms,
        "locale": settings.locale,
        **safe_areas_json(settings),
        **health_json(record),
        "alerts": fleet.alerts_json(record),
    }


def safe_area_json(area: SafeArea | None) -> dict[str, object] | None:
    return None if area is None else safe_area_to_wire(area)


def safe_areas_json(settings: DisplaySettings) -> dict[str, Any]:
    """``safe_area`` (the canvas's, or null) and ``output_safe_areas`` (output name -> safe area)."""
    return {
        "safe_area": safe_area_json(settings.safe_area),
        "output_safe_areas": {name: safe_area_to_wire(a) for name, a in settings.output_safe_areas},
    }


def retired_json(fleet: Fleet) -> list[dict[str, Any]]:
    return [
        {"name": s.name, "hello_name": s.hello_name, "retired_at": s.retired_at}
        for s in sorted(fleet.settings.values(), key=lambda s: s.name)
        if s.retired_at is not None
    ]


class FleetCollector(Collector):
    """Per-display gauges, read from the hub's records when Prometheus scrapes."""

    def __init__(self, hub: Hub, fleet: Fleet) -> None:
        self.hub = hub
        self.fleet = fleet

    def collect(self) -> Iterator[GaugeMetricFamily]:
        hub, fleet = self.hub, self.fleet
        families = {
            "connected": GaugeMetricFamily(
                "projector_display_connected", "1 while the display is connected", labels=["display"]
            ),
            "fps": GaugeMetricFamily(
                "projector_display_fps", "Frames per second it reports", labels=["display"]
            ),
            "p99": GaugeMetricFamily(
                "projector_display_frame_p99_seconds", "Frame time, 99th percentile", labels=["display"]
            ),
            "dropped": GaugeMetricFamily(
                "projector_display_dropped_frames", "Frames over budget since it started", labels=["display"]
            ),
            "memory": GaugeMetricFamily(
                "projector_display_memory_bytes", "Resident memory of the display process", labels=["display"]
            ),
            "temperature": GaugeMetricFamily(
                "projector_display_temperature_celsius", "Hottest thermal zone it reports", labels=["display"]
            ),
            "offset": GaugeMetricFamily(
                "projector_display_clock_offset_seconds",
                "Server clock minus the display's",
                labels=["display"],
            ),
            "alert": GaugeMetricFamily(
                "projector_display_alert", "1 for each alert a display has now", labels=["display", "alert"]
            ),
        }
        now = time.time()
        for record in list(hub.records.values()):
            name = [record.name]
            families["connected"].add_metric(name, 1.0 if record.connected else 0.0)
            status = record.status
            if status is not None:
                families["fps"].add_metric(name, status.fps)
                families["p99"].add_metric(name, status.frame_p99_ms / 1000)
            h = status.health if status is not None else None
            if h is not None:
                for key, value, scale in (
                    ("dropped", h.dropped, 1.0),
                    ("memory", h.memory_mb, 1024 * 1024.0),
                    ("temperature", h.temperature_c, 1.0),
                    ("offset", h.clock_offset_ms, 0.001),
                ):
                    if value is not None:
                        families[key].add_metric(name, value * scale)
            for alert in alerts(fleet.observed(record), now):
                families["alert"].add_metric([record.name, alert.code], 1.0)
        yield from families.values()
