"""Optional fast path: jsonschema-rs validators over the same local schema registry."""

from __future__ import annotations

from typing import Any

import jsonschema_rs

from opsconsole.contracts.registry import SchemaEntry, SchemaSet, UnresolvableRefError
from opsconsole.errors import ConfigError


def _refuse_retrieval(uri: str) -> Any:
    # jsonschema-rs calls this only for URIs missing from the registry; raising keeps it offline.
    raise UnresolvableRefError(
        f"$ref {uri!r} is not in the local schema registry. Add a schema with that $id under "
        f"contracts/schemas/. Schemas are never fetched over the network."
    )


class FastValidators:
    """jsonschema-rs validators with format assertion, compiled once per schema."""

    def __init__(self, schemas: SchemaSet) -> None:
        resources = [(entry.uri, entry.contents) for entry in schemas.entries]
        self._registry = jsonschema_rs.Registry(resources, retriever=_refuse_retrieval)
        self._compiled: dict[str, Any] = {}

    def is_valid(self, entry: SchemaEntry, instance: Any) -> bool:
        """Return whether `instance` meets `entry`."""
        return bool(self._validator(entry).is_valid(instance))

    def errors(self, entry: SchemaEntry, instance: Any) -> list[Any]:
        """Return the jsonschema-rs errors for `instance`; empty when it is valid."""
        return list(self._validator(entry).iter_errors(instance))

    def _validator(self, entry: SchemaEntry) -> Any:
        compiled = self._compiled.get(entry.uri)
        if compiled is None:
            try:
                compiled = jsonschema_rs.validator_for(
                    entry.contents,
                    registry=self._registry,
                    retriever=_refuse_retrieval,
                    validate_formats=True,
                    base_uri=entry.uri,
                )
            except jsonschema_rs.ValidationError as exc:
                raise ConfigError(
                    f"jsonschema-rs cannot compile schema {entry.name} ({entry.path}): "
                    f"{str(exc).splitlines()[0]}. Run without --fast to use the Python validator."
                ) from exc
            self._compiled[entry.uri] = compiled
        return compiled
