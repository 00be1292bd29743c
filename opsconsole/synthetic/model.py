"""The scenario file format: a declarative multi-step business transaction.

A scenario names the systems it talks to (``targets``), then lists steps. Each step sends one
HTTP request, optionally repeats it until its expectations hold (``poll``), checks status,
body and time budget, and extracts values (JSONPath) that later steps use as ``{{ name }}``.
``cleanup`` steps always run, also after a failed step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import jsonpath
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from opsconsole.errors import FieldError, ScenarioError
from opsconsole.synthetic.templating import placeholders

HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TargetDefaults(_Strict):
    """Authentication settings a scenario expects for one target system."""

    auth: Literal["none", "bearer", "oauth2-client-credentials"] = "none"
    token_path: str | None = None
    description: str = ""


class RequestSpec(_Strict):
    """The HTTP request a step sends; strings may contain ``{{ variable }}`` templates."""

    method: HttpMethod = "GET"
    path: str
    params: dict[str, str] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    json_body: Any = Field(default=None, alias="json")
    timeout_s: float = Field(default=10.0, gt=0)


class Expectation(_Strict):
    """Conditions the response must meet for the step to pass."""

    status: int | list[int] | None = None
    body: dict[str, Any] = Field(default_factory=dict)
    max_ms: float | None = Field(default=None, gt=0)

    @field_validator("body")
    @classmethod
    def _paths_are_jsonpath(cls, body: dict[str, Any]) -> dict[str, Any]:
        for path in body:
            if not path.startswith("$"):
                raise ValueError(
                    f"body expectation key {path!r} must be a JSONPath starting with $"
                )
        return body

    def accepted_statuses(self) -> list[int] | None:
        """Return the accepted status codes, or None when any status passes."""
        if self.status is None:
            return None
        return [self.status] if isinstance(self.status, int) else list(self.status)


class Poll(_Strict):
    """Repeat the request until the expectations hold or the timeout runs out."""

    timeout_s: float = Field(default=30.0, gt=0)
    interval_s: float = Field(default=0.2, gt=0)


class Step(_Strict):
    """One request with its expectations, extractions and optional polling."""

    name: str
    target: str
    request: RequestSpec
    expect: Expectation = Field(default_factory=Expectation)
    extract: dict[str, str] = Field(default_factory=dict)
    poll: Poll | None = None
    record_count: str | None = Field(
        default=None,
        description="JSONPath to a count that must be exactly 1; extras are duplicates.",
    )

    @field_validator("extract")
    @classmethod
    def _extract_paths_are_jsonpath(cls, extract: dict[str, str]) -> dict[str, str]:
        for name, path in extract.items():
            if not path.startswith("$"):
                raise ValueError(f"extract.{name} must be a JSONPath starting with $, not {path!r}")
        return extract


class Span(_Strict):
    """A named duration from the start of one step to the end of another, for the report."""

    name: str
    from_step: str
    to_step: str


class Scenario(_Strict):
    """A whole synthetic transaction."""

    name: str
    description: str = ""
    targets: dict[str, TargetDefaults]
    variables: dict[str, str] = Field(default_factory=dict)
    steps: list[Step] = Field(min_length=1)
    cleanup: list[Step] = Field(default_factory=list)
    spans: list[Span] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_exist(self) -> Scenario:
        names = [step.name for step in self.steps]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"step names must be unique; repeated: {', '.join(repeated)}")
        for step in [*self.steps, *self.cleanup]:
            if step.target not in self.targets:
                known = ", ".join(sorted(self.targets))
                raise ValueError(
                    f"step {step.name!r} uses target {step.target!r}, which is not declared "
                    f"under targets (declared: {known})"
                )
        for span in self.spans:
            for ref in (span.from_step, span.to_step):
                if ref not in names:
                    raise ValueError(f"span {span.name!r} names unknown step {ref!r}")
        return self


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario YAML file.

    Raises:
        ScenarioError: the file is missing, is not YAML, or breaks the scenario format; the
            error lists each invalid field.
    """
    try:
        with path.open(encoding="utf-8") as stream:
            raw = yaml.safe_load(stream)
    except FileNotFoundError as exc:
        raise ScenarioError(f"Scenario file {path} does not exist.") from exc
    except yaml.YAMLError as exc:
        raise ScenarioError(f"Scenario file {path} is not valid YAML: {exc}") from exc
    return parse_scenario(raw, source=str(path))


def parse_scenario(raw: Any, *, source: str = "<scenario>") -> Scenario:
    """Validate a scenario already parsed from YAML or JSON."""
    if not isinstance(raw, dict):
        raise ScenarioError(f"{source} must contain a mapping with name, targets and steps.")
    try:
        return Scenario.model_validate(raw)
    except PydanticValidationError as exc:
        errors = [_field_error(item) for item in exc.errors()]
        raise _InvalidScenario(source, errors) from None


def _field_error(item: Any) -> FieldError:
    path = ".".join(str(part) for part in item["loc"])
    return FieldError(path=path, message=item["msg"], rule=item["type"])


class _InvalidScenario(ScenarioError):
    def __init__(self, source: str, errors: list[FieldError]) -> None:
        lines = "; ".join(f"{e.path or '(root)'}: {e.message}" for e in errors)
        super().__init__(f"Scenario {source} is invalid: {lines}")
        self.errors = errors


BUILTIN_VARIABLES = frozenset({"run_id", "index", "correlation_id", "today", "now"})


def check_references(scenario: Scenario, extra: frozenset[str] = frozenset()) -> None:
    """Check before any request is sent that every placeholder and JSONPath can work.

    A step may use built-in variables, the scenario's variables, values given by the caller
    and values extracted by earlier steps; cleanup steps may use any extracted value, because
    a cleanup step whose values were never extracted is skipped.

    Raises:
        ScenarioError: a placeholder names nothing defined before it, or a JSONPath is invalid.
    """
    defined = set(BUILTIN_VARIABLES | extra)
    for name, template in scenario.variables.items():
        _check_names(f"variables.{name}", placeholders(template), defined)
        defined.add(name)
    for step in scenario.steps:
        _check_step(step, defined)
        defined.update(step.extract)
    extracted = {name for step in scenario.steps for name in step.extract}
    for step in scenario.cleanup:
        _check_step(step, defined | extracted)


def _check_step(step: Step, defined: set[str]) -> None:
    request = step.request
    used = placeholders([request.path, request.params, request.headers, request.json_body])
    used |= placeholders(list(step.expect.body.values()))
    _check_names(f"step {step.name!r}", used, defined)
    paths = [*step.extract.values(), *step.expect.body, *filter(None, [step.record_count])]
    for path in paths:
        try:
            jsonpath.compile(path)
        except jsonpath.JSONPathError as exc:
            raise ScenarioError(
                f"Step {step.name!r} has an invalid JSONPath {path!r}: {exc}"
            ) from exc


def _check_names(where: str, used: set[str], defined: set[str]) -> None:
    missing = sorted(used - defined)
    if missing:
        names = ", ".join(f"{{{{ {name} }}}}" for name in missing)
        raise ScenarioError(
            f"{where} uses {names}, which is not defined before it. Define it under "
            f"variables or extract it in an earlier step (defined: {', '.join(sorted(defined))})."
        )
