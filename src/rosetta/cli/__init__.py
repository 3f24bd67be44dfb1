"""The ``rosetta`` command line (Typer + Rich)."""
