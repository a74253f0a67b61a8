"""Command-line face of calciscope (Typer); calls only :mod:`calciscope.api`."""
