"""CloudEvents the CRM sandbox sends to the engine for committed changes."""

from __future__ import annotations

from typing import Any

from opsconsole import wire
from opsconsole.sandboxes.crm import values
from opsconsole.sandboxes.crm.store import Change, Record, changed_business_fields
from opsconsole.sandboxes.http import TraceContext

SOURCE = "/sandbox/crm"

_EVENT_TYPES = {
    ("Account", "created"): wire.CRM_ACCOUNT_CREATED,
    ("Account", "updated"): wire.CRM_ACCOUNT_UPDATED,
    ("Account", "deleted"): wire.CRM_ACCOUNT_DELETED,
    ("Order", "created"): wire.CRM_ORDER_CREATED,
    ("Order", "updated"): wire.CRM_ORDER_UPDATED,
    ("Order", "deleted"): wire.CRM_ORDER_DELETED,
}


def events_for(changes: list[Change], writer_id: str, trace: TraceContext) -> list[wire.CloudEvent]:
    """Return the events for `changes`; objects without an event type produce none.

    Order item changes arrive here as the change to their order, made by the store.
    """
    events = []
    for change in changes:
        event_type = _EVENT_TYPES.get((change.sobject, change.kind))
        if event_type is not None:
            events.append(_event(event_type, change, writer_id, trace))
    return events


def _event(event_type: str, change: Change, writer_id: str, trace: TraceContext) -> wire.CloudEvent:
    return wire.CloudEvent(
        source=SOURCE,
        type=event_type,
        subject=change.record_id,
        correlationid=trace.correlation_id,
        traceparent=trace.child(),
        data={
            "sobject": change.sobject,
            "id": change.record_id,
            "fields": render_fields(change.record),
            "changedFields": changed_business_fields(change),
            "lastModifiedById": writer_id,
        },
    )


def render_fields(record: Record) -> dict[str, Any]:
    """Return every field of `record` as JSON values."""
    return {name: values.render(value) for name, value in record.items()}
