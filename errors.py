"""One exception tree for silobridge.

Every error carries its context as attributes and a message that names the value, the options
and the fix. Errors that are about bad input inherit from ``ValueError`` as well, so callers that
catch the built-in keep working.
"""

from __future__ import annotations


class SilobridgeError(Exception):
    """Base class of every error silobridge raises on purpose."""


class ConfigError(SilobridgeError, ValueError):
    """A configuration file, option or argument is invalid.

    Args:
        message: What is wrong and how to fix it.
        path: The file the setting came from, if any.
        key: The dotted key of the setting (``sources.zendesk.connector``), if any.
    """

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None):
        self.path = path
        self.key = key
        where = ": ".join(p for p in (path, key) if p)
        super().__init__(f"{where}: {message}" if where else message)

    def __reduce__(self):  # keep pickling (multiprocessing, Ray) working with keyword args
        return (_rebuild, (type(self), self.args, self.__dict__))


class ConnectorError(SilobridgeError, ValueError):
    """A record or a file could not be read.

    Its message reads ``path:locator: reason`` and never contains the record's content,
    which may hold personal data.
    """

    def __init__(self, reason: str, *, path: str = "", locator: str = ""):
        self.path = path
        self.locator = locator
        self.reason = reason
        super().__init__(":".join(p for p in (path, locator) if p) + f": {reason}")

    def __reduce__(self):
        return (_rebuild, (type(self), self.args, self.__dict__))


class StoreError(SilobridgeError):
    """The store is missing, damaged, or cannot be written."""


class StoreLockedError(StoreError):
    """Another run holds the store's write lock."""


def _rebuild(cls, args, state):
    obj = cls.__new__(cls)
    Exception.__init__(obj, *args)
    obj.__dict__.update(state)
    return obj
