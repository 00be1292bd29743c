"""Fixtures for the sandbox tests; the helpers live in sandbox_helpers."""

from __future__ import annotations

import sys
from pathlib import Path

# Tests are imported by path (importlib mode), so the helper module next to this file is put
# on sys.path for every test module in this folder.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sandbox_helpers import (
    crm_server,
    crm_session,
    erp,
    erp_server,
    receiver,
    sf,
    tls,
)

__all__ = ["crm_server", "crm_session", "erp", "erp_server", "receiver", "sf", "tls"]
