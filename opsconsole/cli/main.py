"""The root `opsconsole` command and its command groups."""

from __future__ import annotations

import typer

from opsconsole import __version__
from opsconsole.cli import broker, catalog, contracts, engine, review, sandbox, stack, synthetic
from opsconsole.cli._errors import ErrorReportingGroup

app = typer.Typer(
    name="opsconsole",
    cls=ErrorReportingGroup,
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
_GROUPS = {
    "catalog": catalog.app,
    "contracts": contracts.app,
    "review": review.app,
    "synthetic": synthetic.app,
    "engine": engine.app,
    "sandbox": sandbox.app,
    "broker": broker.app,
}
for _name, _group in _GROUPS.items():
    # Markdown mode rewraps docstring paragraphs; the default keeps their source line breaks.
    _group.rich_markup_mode = "markdown"
    app.add_typer(_group, name=_name)


def run() -> None:
    """Entry point of the `opsconsole` console script."""
    app()
