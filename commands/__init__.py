"""The ``silobridge`` commands: one module per command group, each registering its commands on
:data:`app` (built in :mod:`._app`, with the options, consoles and error handling they share;
:mod:`._print` holds the tables more than one command prints).

:mod:`silobridge.cli` is the console script's entry point over :data:`app`.
"""

from __future__ import annotations

from typer.models import CommandInfo

from . import (
    classify,
    discover,
    evaluate,
    ingest,
    inspect,
    redact,
    report,
    run,
    taxonomy,
    understand,
)
from ._app import app

# `silobridge --help` lists the commands in this order, whichever module registers them; the
# sub-apps (eval, label, themes) follow, in the order _app adds them.
HELP_ORDER = (
    "ingest",
    "sources",
    "quarantine",
    "runs",
    "demo",
    "redact",
    "understand",
    "classify",
    "taxonomy",
    "run",
    "discover",
    "report",
)


def _rank(command: CommandInfo) -> int:
    name = command.name or getattr(command.callback, "__name__", "")
    return HELP_ORDER.index(name) if name in HELP_ORDER else len(HELP_ORDER)


app.registered_commands.sort(key=_rank)

__all__ = [
    "app",
    "classify",
    "discover",
    "evaluate",
    "ingest",
    "inspect",
    "redact",
    "report",
    "run",
    "taxonomy",
    "understand",
]
