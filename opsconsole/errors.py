"""Exceptions raised by opsconsole.

Every error the core raises on purpose derives from one root, so the CLI can turn any of
them into a one-line message and an exit code instead of a traceback::

    OpsconsoleError
    ├── ConfigError            a setting, flag or workspace file is missing or invalid
    ├── WorkspaceError         no workspace found, or a workspace file cannot be read
    ├── ValidationError        a payload or document breaks its schema (carries field errors)
    ├── SignatureError         a webhook or event signature is missing, stale or wrong
    ├── IdempotencyConflict    an Idempotency-Key was reused with a different request body
    ├── IdentityError          an external ID is malformed or resolves to several records
    ├── SystemOfRecordError    a write came from a system that does not own the object
    ├── DownstreamError        a call to another system failed (carries a FailureClass)
    └── ScenarioError          a synthetic scenario file is invalid or a step cannot run

Modules add narrower subclasses of these where a caller needs to tell cases apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class OpsconsoleError(Exception):
    """Root of every error opsconsole raises on purpose."""


class ConfigError(OpsconsoleError):
    """A setting, flag or workspace file is missing or invalid."""


class WorkspaceError(OpsconsoleError):
    """No workspace was found, or one of its files cannot be read."""


@dataclass(frozen=True)
class FieldError:
    """One invalid field: its JSON path, what is wrong, and the rule that failed."""

    path: str
    message: str
    rule: str = ""


class ValidationError(OpsconsoleError):
    """A payload or document breaks its schema."""

    def __init__(self, message: str, errors: Sequence[FieldError] = ()) -> None:
        super().__init__(message)
        self.errors = list(errors)


class SignatureError(OpsconsoleError):
    """A webhook or event signature is missing, stale or does not match any secret."""


class IdempotencyConflict(OpsconsoleError):
    """An Idempotency-Key was reused with a different request body."""


class IdentityError(OpsconsoleError):
    """An external ID is malformed or resolves to more than one record."""


class SystemOfRecordError(OpsconsoleError):
    """A write came from a system that is not the system of record for the object."""


class DownstreamError(OpsconsoleError):
    """A call to another system failed; `failure_class` says how and whether to retry."""

    def __init__(self, message: str, failure_class: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.failure_class = failure_class
        self.retryable = retryable


class ScenarioError(OpsconsoleError):
    """A synthetic scenario file is invalid or one of its steps cannot run."""
