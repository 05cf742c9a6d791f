"""The `hotline` command: one module per group of commands, assembled in `main`."""
from hotline.cli.main import cli

__all__ = ["cli"]
