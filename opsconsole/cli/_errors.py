"""Turn core errors into one readable message and an exit code, never a traceback."""

from __future__ import annotations

from typing import Any

import typer

# Typer builds its commands from its own vendored copy of click, not the click package.
from typer import _click as click
from typer.core import TyperGroup

from opsconsole.errors import OpsconsoleError, ValidationError

EXIT_INPUT_ERROR = 2


class ErrorReportingGroup(TyperGroup):
    """A command group that prints input errors as a message and exits with status 2.

    Besides `OpsconsoleError`, it reports file-system errors (a missing file, a folder that
    cannot be created, a permission denied), whose message already names the path.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OpsconsoleError as exc:
            report_error(exc)
            raise typer.Exit(EXIT_INPUT_ERROR) from exc
        except OSError as exc:
            if exc.filename is None:
                raise
            typer.secho(f"Error: {exc.strerror}: {exc.filename}", err=True, fg=typer.colors.RED)
            raise typer.Exit(EXIT_INPUT_ERROR) from exc


def report_error(exc: OpsconsoleError) -> None:
    """Print `exc` and any field errors it carries to standard error."""
    typer.secho(f"Error: {exc}", err=True, fg=typer.colors.RED)
    if isinstance(exc, ValidationError):
        for field in exc.errors:
            typer.echo(f"  {field.path or '(root)'}: {field.message}", err=True)
