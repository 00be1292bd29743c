"""Prometheus metrics of one engine instance, in a registry of its own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest


class EngineMetrics:
    """Counters updated as the engine works, and queue gauges refreshed on each scrape."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.events_received = Counter(
            "opsconsole_events_received",
            "Inbound events by source endpoint and result.",
            ["endpoint", "result"],
            registry=self.registry,
        )
        self.events_handled = Counter(
            "opsconsole_events_handled",
            "Inbox messages handled, by event type and outcome.",
            ["type", "outcome"],
            registry=self.registry,
        )
        self.deliveries = Counter(
            "opsconsole_deliveries",
            "Outbound delivery attempts by target system, operation and result.",
            ["target", "operation", "result"],
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "opsconsole_queue_messages",
            "Inbox and outbox messages by status, at scrape time.",
            ["queue", "status"],
            registry=self.registry,
        )
        self.dead_letters = Gauge(
            "opsconsole_dead_letters", "Open dead-letter entries.", registry=self.registry
        )

    def render(self) -> bytes:
        """Return the metrics in the Prometheus text format."""
        return generate_latest(self.registry)
