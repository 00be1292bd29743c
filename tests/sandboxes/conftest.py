"""Fixtures for the sandbox tests; the helpers live in sandbox_helpers."""

from __future__ import annotations

from tests.sandboxes.sandbox_helpers import (
    crm_server,
    crm_session,
    erp,
    erp_server,
    receiver,
    sf,
    tls,
)

__all__ = ["crm_server", "crm_session", "erp", "erp_server", "receiver", "sf", "tls"]
