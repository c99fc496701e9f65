"""silobridge: turn what every B2B function hears into structured, shared insight.

Examples:
    >>> import silobridge
    >>> store = silobridge.open_store(".silobridge")      # doctest: +SKIP
    >>> store.items().groupby("function").size()           # doctest: +SKIP
"""

from __future__ import annotations

from ._version import __version__
from .errors import ConfigError, ConnectorError, SilobridgeError, StoreError, StoreLockedError

__all__ = [
    "ConfigError",
    "ConnectorError",
    "SilobridgeError",
    "StoreError",
    "StoreLockedError",
    "__version__",
    "open_store",
]


def open_store(path, *, create: bool = False):
    """Open a silobridge store (see :class:`silobridge.pipeline.store.Store`)."""
    from .pipeline.store.store import Store  # deferred: keeps import silobridge light (deltalake)

    return Store.open(path, create=create)
