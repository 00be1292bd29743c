"""Select touchpoints by mode, criticality, system, owner or object."""

from __future__ import annotations

from dataclasses import dataclass

from opsconsole.catalog.model import EntityRef, Touchpoint


@dataclass(frozen=True)
class TouchpointFilter:
    """Conditions a touchpoint must all meet; None means any value."""

    mode: str | None = None
    criticality: str | None = None
    system: str | None = None
    owner: str | None = None
    object: str | None = None

    def matches(self, touchpoint: Touchpoint) -> bool:
        """Tell whether `touchpoint` meets every condition that is set."""
        spec = touchpoint.touchpoint
        checks = (
            self.mode is None or spec.mode == self.mode,
            self.criticality is None or spec.criticality == self.criticality,
            self.system is None or self._system_name in (_name(spec.source), _name(spec.target)),
            self.owner is None or (spec.owner is not None and _name(spec.owner) == self._owner),
            self.object is None or self.object in spec.objects,
        )
        return all(checks)

    @property
    def _system_name(self) -> str:
        return EntityRef.parse(self.system or "", "system").name

    @property
    def _owner(self) -> str:
        return EntityRef.parse(self.owner or "", "group").name


def select(touchpoints: list[Touchpoint], conditions: TouchpointFilter) -> list[Touchpoint]:
    """Return the touchpoints that meet `conditions`, in catalog order."""
    return [touchpoint for touchpoint in touchpoints if conditions.matches(touchpoint)]


def _name(ref: str) -> str:
    return EntityRef.parse(ref, "system").name
