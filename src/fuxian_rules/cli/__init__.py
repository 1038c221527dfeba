"""The ``fuxian-rules`` command line (entry point :func:`main`)."""

from fuxian_rules.cli.commands import main

__all__ = ["main"]
