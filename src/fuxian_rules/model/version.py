"""The library's version, from one place: the installed package's metadata (``pyproject.toml``).

Every receipt carries it, so a flag can be traced to the code that raised it. A source checkout that
was never installed (the docs hook puts ``src/`` on ``sys.path``) has no metadata; its version is read
from the checkout's ``pyproject.toml`` instead, the very file the metadata is built from.
"""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

__all__ = ["DISTRIBUTION", "library_version"]

#: The distribution name on PyPI (``pip install fuxian-rules``).
DISTRIBUTION = "fuxian-rules"


def library_version() -> str:
    """Return the version of the installed distribution, or of the source checkout it is imported from."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        pyproject = Path(__file__).resolve().parents[3] / "pyproject.toml"
        try:
            return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"])
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "0+unknown"
