"""Find and describe a workspace: the folder holding catalog/, contracts/ and synthetic/.

A workspace is found, in this order, from an explicit path, the OPSCONSOLE_WORKSPACE
environment variable, or by walking up from the current directory to the first folder that
contains ``opsconsole.toml`` or a ``catalog/`` folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from opsconsole.errors import WorkspaceError

ENV_VAR = "OPSCONSOLE_WORKSPACE"
MARKER_FILE = "opsconsole.toml"


@dataclass(frozen=True)
class Workspace:
    """A workspace root and the standard folders inside it."""

    root: Path

    @property
    def catalog_dir(self) -> Path:
        return self.root / "catalog"

    @property
    def contracts_dir(self) -> Path:
        return self.root / "contracts"

    @property
    def schemas_dir(self) -> Path:
        return self.contracts_dir / "schemas"

    @property
    def openapi_dir(self) -> Path:
        return self.contracts_dir / "openapi"

    @property
    def asyncapi_dir(self) -> Path:
        return self.contracts_dir / "asyncapi"

    @property
    def pacts_dir(self) -> Path:
        return self.contracts_dir / "pacts"

    @property
    def reviews_dir(self) -> Path:
        return self.contracts_dir / "reviews"

    @property
    def synthetic_dir(self) -> Path:
        return self.root / "synthetic"

    @property
    def state_dir(self) -> Path:
        """Folder for local state (databases, certificates, run history); not committed."""
        return self.root / ".opsconsole"


def find_workspace(explicit: Path | None = None, start: Path | None = None) -> Workspace:
    """Locate the workspace to use.

    Raises:
        WorkspaceError: the explicit or configured path is not a folder, or no folder from
            `start` upwards looks like a workspace.
    """
    if explicit is not None:
        return _checked(explicit, "--workspace")
    configured = os.environ.get(ENV_VAR)
    if configured:
        return _checked(Path(configured), ENV_VAR)

    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / MARKER_FILE).is_file() or (folder / "catalog").is_dir():
            return Workspace(folder)
    raise WorkspaceError(
        f"No workspace found in {here} or any parent folder. Run the command inside a folder "
        f"with a catalog/ folder or {MARKER_FILE}, or pass --workspace DIR."
    )


def _checked(path: Path, origin: str) -> Workspace:
    if not path.is_dir():
        raise WorkspaceError(f"Workspace {path} (from {origin}) is not a folder.")
    return Workspace(path.resolve())
