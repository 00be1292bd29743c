"""Every command explains itself: `--help` works and has a description."""

from __future__ import annotations

import pytest
import typer

# Typer builds its commands from its own vendored copy of click, not the click package.
from typer import _click as click
from typer.core import TyperGroup
from typer.testing import CliRunner

from opsconsole import __version__
from opsconsole.cli.main import app

runner = CliRunner()


def _command_paths() -> list[list[str]]:
    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(command: click.Command, path: list[str]) -> None:
        paths.append(path)
        if isinstance(command, TyperGroup):
            context = click.Context(command)
            for name in command.list_commands(context):
                sub = command.get_command(context, name)
                assert sub is not None
                walk(sub, [*path, name])

    walk(root, [])
    return paths


@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p) or "opsconsole")
def test_every_command_has_help(path: list[str]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    command: click.Command | None = typer.main.get_command(app)
    for name in path:
        assert isinstance(command, TyperGroup)
        command = command.get_command(click.Context(command), name)
    assert command is not None
    assert (command.help or "").strip(), f"{' '.join(path)} has no help text"


def test_version_flag() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"opsconsole {__version__}"


def test_unknown_command_is_usage_error() -> None:
    result = runner.invoke(app, ["catalgo"])
    assert result.exit_code == 2
    assert "No such command" in result.output
