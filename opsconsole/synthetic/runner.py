"""Run synthetic transactions against real endpoints and record what happened.

The runner does not write to a terminal. It reports progress through the typed events in
`opsconsole.synthetic.events`, which the CLI turns into a progress bar.
"""

from __future__ import annotations

import ssl
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import jsonpath

from opsconsole.errors import ConfigError, ScenarioError
from opsconsole.synthetic.events import (
    RunEvent,
    StepFinished,
    TransactionFinished,
    TransactionStarted,
)
from opsconsole.synthetic.model import Expectation, Scenario, Step, check_references
from opsconsole.synthetic.templating import render
from opsconsole.wire import CORRELATION_HEADER, TRACEPARENT_HEADER, child_traceparent

EventSink = Callable[[RunEvent], None]


@dataclass(frozen=True)
class Target:
    """Base URL and credentials of one of the scenario's target systems."""

    base_url: str
    client_id: str | None = None
    client_secret: str | None = None
    token: str | None = None
    ca_file: str | None = None


@dataclass
class CallRecord:
    """One HTTP exchange: the status (None on a transport error) and how long it took."""

    method: str
    url: str
    status: int | None
    elapsed_s: float
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        """True when the API returned a response that is not a 5xx or a rate limit."""
        return (
            self.error is None
            and self.status is not None
            and self.status < 500
            and (self.status != 429)
        )


@dataclass
class StepResult:
    """The outcome of one step in one transaction."""

    name: str
    passed: bool
    started_s: float
    duration_s: float
    attempts: int
    message: str = ""
    calls: list[CallRecord] = field(default_factory=list)
    duplicates: int = 0
    skipped: bool = False

    @property
    def ended_s(self) -> float:
        return self.started_s + self.duration_s


@dataclass
class TransactionResult:
    """The outcome of one run of a scenario."""

    index: int
    correlation_id: str
    steps: list[StepResult] = field(default_factory=list)
    cleanup: list[StepResult] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0

    @property
    def passed(self) -> bool:
        return all(step.passed for step in self.steps)

    @property
    def failure(self) -> StepResult | None:
        return next((step for step in self.steps if not step.passed), None)

    def step(self, name: str) -> StepResult | None:
        """Return the result of the named step, if it ran."""
        return next((step for step in self.steps if step.name == name), None)


@dataclass
class _Failure(Exception):
    message: str


class _Clients:
    """One httpx client per target, with bearer tokens fetched once and shared by threads."""

    def __init__(self, scenario: Scenario, targets: Mapping[str, Target]) -> None:
        missing = sorted(set(scenario.targets) - set(targets))
        if missing:
            raise ConfigError(
                f"Scenario {scenario.name!r} needs targets {', '.join(missing)}, which were not "
                f"given. Add an entry for each to the targets file (--targets FILE)."
            )
        self._scenario = scenario
        self._targets = targets
        self._clients: dict[str, httpx.Client] = {}
        self._tokens: dict[str, str] = {}
        self._lock = threading.Lock()

    def client(self, name: str) -> httpx.Client:
        with self._lock:
            if name not in self._clients:
                target = self._targets[name]
                verify: Any = _verify(name, target.ca_file)
                self._clients[name] = httpx.Client(
                    base_url=target.base_url, verify=verify, trust_env=False
                )
            return self._clients[name]

    def auth_headers(self, name: str) -> dict[str, str]:
        defaults = self._scenario.targets[name]
        if defaults.auth == "none":
            return {}
        with self._lock:
            token = self._tokens.get(name)
        if token is None:
            token = self._fetch_token(name)
            with self._lock:
                self._tokens[name] = token
        return {"Authorization": f"Bearer {token}"}

    def _fetch_token(self, name: str) -> str:
        target = self._targets[name]
        defaults = self._scenario.targets[name]
        if defaults.auth == "bearer" or target.token:
            if not target.token:
                raise ConfigError(f"Target {name!r} needs a bearer token; set token for it.")
            return target.token
        if not (defaults.token_path and target.client_id and target.client_secret):
            raise ConfigError(
                f"Target {name!r} uses OAuth2 client credentials; set client_id and "
                f"client_secret for it, and token_path in the scenario."
            )
        form = {
            "grant_type": "client_credentials",
            "client_id": target.client_id,
            "client_secret": target.client_secret,
        }
        try:
            response = self.client(name).post(defaults.token_path, data=form)
        except httpx.HTTPError as exc:
            raise ConfigError(
                f"Target {name!r} could not be reached for a token at "
                f"{target.base_url.rstrip('/')}{defaults.token_path}: {type(exc).__name__}: "
                f"{exc}. Check its base_url and ca_file, and that it is running."
            ) from exc
        if response.status_code != 200:
            raise ConfigError(
                f"Target {name!r} refused the client credentials "
                f"(HTTP {response.status_code}): {response.text[:200]}"
            )
        return str(response.json()["access_token"])

    def preflight(self) -> None:
        """Open every target and fetch its token, so a bad target fails before any write."""
        for name in self._scenario.targets:
            self.client(name)
            self.auth_headers(name)

    def close(self) -> None:
        for client in self._clients.values():
            client.close()


def _verify(name: str, ca_file: str | None) -> Any:
    if not ca_file:
        return True
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"Target {name!r} has ca_file {ca_file!r}, which cannot be read as PEM "
            f"certificates: {exc}. Point ca_file at the CA bundle that signed its certificate."
        ) from exc


class ScenarioRunner:
    """Run a scenario once or many times against a set of targets."""

    def __init__(
        self,
        scenario: Scenario,
        targets: Mapping[str, Target],
        *,
        on_event: EventSink | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> None:
        self.scenario = scenario
        self._clients = _Clients(scenario, targets)
        self._on_event = on_event or (lambda event: None)
        self._extra_variables = dict(variables or {})
        self._event_lock = threading.Lock()
        self._checked = False
        check_references(scenario, frozenset(self._extra_variables))

    def __enter__(self) -> ScenarioRunner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._clients.close()

    def run_batch(self, count: int, concurrency: int = 4) -> list[TransactionResult]:
        """Run `count` transactions, at most `concurrency` at once, in index order."""
        if count < 1:
            raise ConfigError(f"The number of transactions must be at least 1, not {count}.")
        if concurrency < 1:
            raise ConfigError(f"Concurrency must be at least 1, not {concurrency}.")
        self.preflight()
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="synthetic") as pool:
            return list(pool.map(self.run_transaction, range(count)))

    def preflight(self) -> None:
        """Reach every target and fetch its token once, before the first transaction writes.

        Raises:
            ConfigError: a target cannot be reached, its CA file is unreadable or it rejects
                the credentials.
        """
        if not self._checked:
            self._clients.preflight()
            self._checked = True

    def run_transaction(self, index: int = 0) -> TransactionResult:
        """Run every step once, then every cleanup step, whatever happened before."""
        self.preflight()
        correlation_id = str(uuid.uuid4())
        result = TransactionResult(index=index, correlation_id=correlation_id)
        result.variables = self._initial_variables(index, correlation_id)
        self._emit(TransactionStarted(index=index, correlation_id=correlation_id))
        started = time.perf_counter()
        for step in self.scenario.steps:
            step_result = self._run_step(step, result, started)
            result.steps.append(step_result)
            self._emit(StepFinished(index, step.name, step_result.passed, step_result.duration_s))
            if not step_result.passed:
                break
        for step in self.scenario.cleanup:
            result.cleanup.append(self._run_cleanup_step(step, result, started))
        result.duration_s = time.perf_counter() - started
        failure = result.failure
        self._emit(
            TransactionFinished(
                index=index,
                passed=result.passed,
                correlation_id=correlation_id,
                failed_step=failure.name if failure else None,
                message=failure.message if failure else "",
            )
        )
        return result

    def _initial_variables(self, index: int, correlation_id: str) -> dict[str, Any]:
        now = datetime.now(UTC)
        variables: dict[str, Any] = {
            "run_id": uuid.uuid4().hex[:12],
            "index": index,
            "correlation_id": correlation_id,
            "today": now.date().isoformat(),
            "now": now.isoformat(),
        }
        variables.update(self._extra_variables)
        for name, template in self.scenario.variables.items():
            variables[name] = render(template, variables, where=f"variables.{name}")
        return variables

    def _run_cleanup_step(
        self, step: Step, transaction: TransactionResult, origin: float
    ) -> StepResult:
        # A cleanup step that needs a value the failed steps never produced has nothing to undo.
        try:
            return self._run_step(step, transaction, origin)
        except ScenarioError as exc:
            return StepResult(
                name=step.name,
                passed=True,
                started_s=time.perf_counter() - origin,
                duration_s=0.0,
                attempts=0,
                message=f"skipped: {exc}",
                skipped=True,
            )

    def _run_step(self, step: Step, transaction: TransactionResult, origin: float) -> StepResult:
        started = time.perf_counter()
        calls: list[CallRecord] = []
        attempts = 0
        deadline = started + (step.poll.timeout_s if step.poll else 0.0)
        message = ""
        passed = False
        duplicates = 0
        traceparent = child_traceparent(None)
        while True:
            attempts += 1
            try:
                body = self._send(step, transaction, calls, traceparent)
                duplicates = _extra_records(step, body)
                self._check(step, calls[-1], body, transaction.variables)
                passed = True
                break
            except _Failure as failure:
                message = failure.message
            if step.poll is None or time.perf_counter() + step.poll.interval_s > deadline:
                break
            time.sleep(step.poll.interval_s)
        duration = time.perf_counter() - started
        if passed and step.expect.max_ms is not None and duration * 1000 > step.expect.max_ms:
            passed = False
            message = (
                f"took {duration * 1000:.0f} ms, over its budget of {step.expect.max_ms:.0f} ms"
            )
        if not passed and step.poll is not None and attempts > 1:
            message = f"still failing after {attempts} attempts in {duration:.1f} s: {message}"
        return StepResult(
            name=step.name,
            passed=passed,
            started_s=started - origin,
            duration_s=duration,
            attempts=attempts,
            message="" if passed else message,
            calls=calls,
            duplicates=duplicates,
        )

    def _send(
        self, step: Step, transaction: TransactionResult, calls: list[CallRecord], traceparent: str
    ) -> Any:
        where = f"step {step.name!r}"
        variables = transaction.variables
        request = step.request
        path = render(request.path, variables, where=where)
        headers = {
            **self._clients.auth_headers(step.target),
            CORRELATION_HEADER: transaction.correlation_id,
            TRACEPARENT_HEADER: child_traceparent(traceparent),
            **render(request.headers, variables, where=where),
        }
        client = self._clients.client(step.target)
        began = time.perf_counter()
        try:
            response = client.request(
                request.method,
                str(path),
                params=render(request.params, variables, where=where),
                headers=headers,
                json=render(request.json_body, variables, where=where),
                timeout=request.timeout_s,
            )
        except httpx.HTTPError as exc:
            elapsed = time.perf_counter() - began
            calls.append(CallRecord(request.method, str(path), None, elapsed, error=str(exc)))
            raise _Failure(f"{request.method} {path} failed: {type(exc).__name__}: {exc}") from exc
        calls.append(
            CallRecord(request.method, str(path), response.status_code, time.perf_counter() - began)
        )
        return _json_or_text(response)

    def _check(self, step: Step, call: CallRecord, body: Any, variables: dict[str, Any]) -> None:
        _check_status(step.expect, call)
        _check_body(step.expect, body, variables, step.name)
        _check_record_count(step, body)
        for name, path in step.extract.items():
            variables[name] = _extract(body, path, step.name)

    def _emit(self, event: RunEvent) -> None:
        with self._event_lock:
            self._on_event(event)


def _json_or_text(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def _check_status(expect: Expectation, call: CallRecord) -> None:
    accepted = expect.accepted_statuses()
    if accepted is not None and call.status not in accepted:
        wanted = " or ".join(str(code) for code in accepted)
        raise _Failure(f"{call.method} {call.url} returned HTTP {call.status}, expected {wanted}")


def _check_body(
    expect: Expectation, body: Any, variables: Mapping[str, Any], step_name: str
) -> None:
    for path, expected_template in expect.body.items():
        expected = render(expected_template, variables, where=f"step {step_name!r}")
        matches = _find(body, path, step_name)
        if not matches:
            raise _Failure(f"response has nothing at {path}, expected {expected!r}")
        if matches[0] != expected:
            raise _Failure(f"response has {matches[0]!r} at {path}, expected {expected!r}")


def _record_count(step: Step, body: Any) -> int | None:
    if step.record_count is None:
        return None
    matches = _find(body, step.record_count, step.name)
    if not matches or not isinstance(matches[0], int):
        raise _Failure(f"response has no record count at {step.record_count}")
    return int(matches[0])


def _extra_records(step: Step, body: Any) -> int:
    """Return how many records beyond the one expected the response counts (0 when none)."""
    try:
        count = _record_count(step, body)
    except _Failure:
        return 0
    return max(0, (count or 0) - 1)


def _check_record_count(step: Step, body: Any) -> None:
    count = _record_count(step, body)
    if count == 0:
        raise _Failure(f"no record found (count at {step.record_count} is 0), expected exactly 1")
    if count is not None and count > 1:
        raise _Failure(f"{count} records found where exactly 1 was expected (duplicates)")


def _extract(body: Any, path: str, step_name: str) -> Any:
    matches = _find(body, path, step_name)
    if not matches:
        raise _Failure(f"response has nothing at {path} to extract")
    return matches[0]


def _find(body: Any, path: str, step_name: str) -> list[Any]:
    try:
        return list(jsonpath.findall(path, body))
    except jsonpath.JSONPathError as exc:
        raise ScenarioError(f"Step {step_name!r} has an invalid JSONPath {path!r}: {exc}") from exc
