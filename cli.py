"""The ``silobridge`` console script (``silobridge.cli:main``): the app that
:mod:`silobridge.commands` builds, one module per command group."""

from __future__ import annotations

from .commands import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
