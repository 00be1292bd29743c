"""CloudEvents the ERP sandbox sends to the engine for committed changes."""

from __future__ import annotations

from opsconsole import wire
from opsconsole.sandboxes.erp import records
from opsconsole.sandboxes.erp.store import ErpChange
from opsconsole.sandboxes.http import TraceContext

SOURCE = "/sandbox/erp"


def events_for(
    changes: list[ErpChange], base_url: str, names: dict[str, str], trace: TraceContext
) -> list[wire.CloudEvent]:
    """Return one event per change that has an event type."""
    return [
        wire.CloudEvent(
            source=SOURCE,
            type=change.event_type,
            subject=change.record_id,
            correlationid=trace.correlation_id,
            traceparent=trace.child(),
            data={
                "recordType": change.record_type,
                "id": change.record_id,
                "externalId": change.record.get("externalId"),
                "record": records.render(change.record_type, change.record, base_url, names),
            },
        )
        for change in changes
        if change.event_type is not None
    ]
