"""Progress events of a synthetic run, for the CLI and the console to render."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TransactionStarted:
    """A transaction began; `index` counts from 0 within the batch."""

    index: int
    correlation_id: str


@dataclass(frozen=True)
class StepFinished:
    """One step of a transaction passed or failed."""

    index: int
    step: str
    passed: bool
    duration_s: float


@dataclass(frozen=True)
class TransactionFinished:
    """A transaction ended, with its first failing step when it failed."""

    index: int
    passed: bool
    correlation_id: str
    failed_step: str | None
    message: str


RunEvent = TransactionStarted | StepFinished | TransactionFinished
