"""The root `opsconsole` command and its command groups.

Command groups are imported only when they are used: each group pulls in its part of the
core (FastAPI apps, schemathesis, pact-python), and a command such as `opsconsole review
diff` should not pay for all of them at start-up.
"""

from __future__ import annotations

import importlib

import typer

# Typer builds its commands from its own vendored copy of click, not the click package.
from typer import _click as click

from opsconsole import __version__
from opsconsole.cli import stack
from opsconsole.cli._errors import ErrorReportingGroup

# Group name -> module whose `app` is that group's Typer instance, in the order --help lists.
GROUPS = {
    "catalog": "opsconsole.cli.catalog",
    "synthetic": "opsconsole.cli.synthetic",
    "contracts": "opsconsole.cli.contracts",
    "review": "opsconsole.cli.review",
    "engine": "opsconsole.cli.engine",
    "sandbox": "opsconsole.cli.sandbox",
    "broker": "opsconsole.cli.broker",
}


class LazyGroups(ErrorReportingGroup):
    """The root group: its own commands, plus the command groups imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *GROUPS]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in GROUPS:
            return super().get_command(ctx, cmd_name)
        group: typer.Typer = importlib.import_module(GROUPS[cmd_name]).app
        # Markdown mode rewraps docstring paragraphs; the default keeps source line breaks.
        group.rich_markup_mode = "markdown"
        # get_group, not get_command: a Typer with one command would otherwise collapse into it.
        command = typer.main.get_group(group)
        command.name = cmd_name
        return command


app = typer.Typer(
    name="opsconsole",
    cls=LazyGroups,
    help=(
        "Integration operations console and contract-testing toolkit.\n\n"
        "Start with `opsconsole demo`: it runs a reference sync engine with CRM and ERP "
        "sandboxes on this machine and pushes lead-to-cash orders through them."
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"opsconsole {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Integration operations console and contract-testing toolkit."""


stack.register(app)


def run() -> None:
    """Entry point of the `opsconsole` console script."""
    app()
