"""Fill ``{{ name }}`` placeholders in scenario requests from the transaction's variables."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from opsconsole.errors import ScenarioError

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}")


def render(value: Any, variables: Mapping[str, Any], *, where: str) -> Any:
    """Return `value` with every placeholder replaced, recursing into lists and mappings.

    A string that is exactly one placeholder takes the variable's own type, so a number
    extracted from one response stays a number in the next request body.

    Raises:
        ScenarioError: a placeholder names a variable that is not defined yet.
    """
    if isinstance(value, str):
        return _render_text(value, variables, where)
    if isinstance(value, list):
        return [render(item, variables, where=where) for item in value]
    if isinstance(value, dict):
        return {key: render(item, variables, where=where) for key, item in value.items()}
    return value


def _render_text(text: str, variables: Mapping[str, Any], where: str) -> Any:
    whole = _PLACEHOLDER.fullmatch(text.strip())
    if whole is not None:
        return _lookup(whole.group(1), variables, where)
    return _PLACEHOLDER.sub(lambda m: str(_lookup(m.group(1), variables, where)), text)


def _lookup(name: str, variables: Mapping[str, Any], where: str) -> Any:
    if name not in variables:
        known = ", ".join(sorted(variables)) or "none"
        raise ScenarioError(
            f"{where} uses {{{{ {name} }}}}, which is not defined at that point. "
            f"Define it under variables or extract it in an earlier step (defined: {known})."
        )
    return variables[name]


def placeholders(value: Any) -> set[str]:
    """Return the variable names that `value` refers to, recursing into lists and mappings."""
    if isinstance(value, str):
        return set(_PLACEHOLDER.findall(value))
    if isinstance(value, list):
        return {name for item in value for name in placeholders(item)}
    if isinstance(value, dict):
        return {name for item in value.values() for name in placeholders(item)}
    return set()
