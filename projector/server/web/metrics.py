"""Prometheus metrics, one registry per application (so tests can run several)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.actions = Counter(
            "projector_actions", "Actions counted, by channel", ["channel"], registry=self.registry
        )
        self.duplicates = Counter(
            "projector_duplicate_actions", "Actions ignored because their id was seen", registry=self.registry
        )
        self.requests = Counter(
            "projector_ingest_requests", "Ingest requests by outcome", ["outcome"], registry=self.registry
        )
        self.connections_refused = Counter(
            "projector_connections_refused",
            "Connections refused or closed by the connection guard, by reason",
            ["reason"],
            registry=self.registry,
        )
        self.displays = Gauge("projector_displays_connected", "Connected displays", registry=self.registry)
        self.broadcast_lag = Histogram(
            "projector_broadcast_lag_seconds",
            "Time from an event to its frame being written to a display",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=self.registry,
        )
        self.queue_drops = Counter(
            "projector_queue_drops",
            "Displays dropped because they fell too far behind",
            registry=self.registry,
        )
        self.protocol_errors = Counter(
            "projector_protocol_errors", "Bad frames received from displays", ["code"], registry=self.registry
        )
