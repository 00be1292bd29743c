"""The touchpoint catalog: entity model, loader, validation, inventory reports and graph."""

from __future__ import annotations

from opsconsole.catalog.catalog import Catalog, LoadResult, load_catalog
from opsconsole.catalog.findings import Finding
from opsconsole.catalog.rules import validate

__all__ = ["Catalog", "Finding", "LoadResult", "load_catalog", "validate"]
