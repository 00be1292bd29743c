"""The `opsconsole` command line: thin Typer shells over functions in the core."""
