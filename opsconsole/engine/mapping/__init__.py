"""Mappings between the canonical objects and each system's own records, one module per system.

CRM and ERP words mean different things (an "Activated" CRM order is one the ERP has not seen
yet; an ERP "Pending Billing" order is a fulfilled one), so each module translates only
between its system and the canonical model, never directly between the two systems.
"""

from __future__ import annotations

from opsconsole.errors import FieldError, ValidationError


class MappingError(ValidationError):
    """A record cannot be expressed in the target system without losing or inventing data."""


__all__ = ["FieldError", "MappingError"]
