"""Connectors: one module per vendor export format, all registered in :mod:`.registry`.

Importing this package registers every built-in connector.
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import CHANNELS, FUNCTIONS, ROLES, Part, Record, Rejected, Skipped
from .registry import CONNECTORS, ConnectorSpec, all_connectors, connector, get_connector

_SUPPORT_MODULES = {"base", "registry", "files", "values", "text"}

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in _SUPPORT_MODULES and not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "CHANNELS",
    "CONNECTORS",
    "FUNCTIONS",
    "ROLES",
    "ConnectorSpec",
    "Part",
    "Record",
    "Rejected",
    "Skipped",
    "all_connectors",
    "connector",
    "get_connector",
]
