"""Validation findings: one problem in the catalog, where it is, and how bad it is."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Severity = Literal["error", "warning"]

RULES: dict[str, str] = {
    "yaml-syntax": "A catalog file is not valid YAML.",
    "schema": "An entity breaks the catalog entity schema.",
    "duplicate-entity": "Two documents define the same kind, namespace and name.",
    "unresolved-reference": "A reference points to no entity, or to an entity of the wrong kind.",
    "system-of-record-conflict": "Two systems claim to be the system of record for one object "
    "or status.",
    "missing-owner": "A touchpoint names no owning team.",
    "missing-contract": "A touchpoint has no schema, API or pact contract.",
    "missing-monitor": "A touchpoint has no monitor.",
    "missing-runbook": "A touchpoint has no runbook.",
    "missing-synthetic-check": "A critical touchpoint has no synthetic check.",
    "missing-file": "A contract, runbook, monitor or API definition file does not exist.",
    "missing-definition": "An OpenAPI or AsyncAPI entity's inline definition is not a document.",
    "invalid-schedule": "A schedule is not a five-field cron expression.",
}


class Finding(BaseModel):
    """One problem found by `opsconsole catalog validate`."""

    model_config = ConfigDict(frozen=True)

    rule: str
    severity: Severity
    message: str
    file: str
    line: int
    entity: str | None = None

    @property
    def location(self) -> str:
        """`file:line`, the form editors and CI annotations understand."""
        return f"{self.file}:{self.line}"
