"""One exception tree for silobridge.

Every error carries its context as attributes and a message that names the value, the options
and the fix. Errors that are about bad input inherit from ``ValueError`` as well, so callers that
catch the built-in keep working.

A message never carries a password: :class:`ConfigError` and :class:`ConnectorError` pass theirs
through :func:`mask_secrets`, which works on any text, parsed or not (see its rules).
"""

from __future__ import annotations

import re

MASK = "***"
# A URL's scheme and its slashes, one missing ("postgresql+psycopg:/u:pw@h") or all three.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:/+")
# In free text a URL runs to the next space, quote or angle bracket.
_URL_IN_TEXT = re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*:/+[^\s'\"<>]*")
# A connection string made of key=value pairs (libpq, ODBC), not a URL without its scheme.
_KEY_VALUE_START = re.compile(r"^\s*[A-Za-z][\w .-]*=")
# password=, pwd=, passwd=, PGPASSWORD=, sslpassword=, Pwd%3D (encoded in an odbc_connect query).
_SECRET_KEY = r"(?i)(?<![A-Za-z0-9])((?:[A-Za-z0-9_.-]*?)(?:password|passwd|pwd))(\s*(?:=|%3D)\s*)"
# Its value: {ODBC braces, }} escaped}, 'quoted' or "quoted", else up to ; or & (or their
# %-encodings) or the end of the line; words after a space belong to it unless one is the next
# key (libpq's "password=pw dbname=crm").
_BRACED = r"\{(?:[^}]|\}\})*\}?"
_QUOTED = r"'(?:[^'\\]|\\.)*'?|\"(?:[^\"\\]|\\.)*\"?"
_PLAIN = r"(?:(?!%3[Bb]|%26)[^;&\s{stop}])+"
_SECRET_VALUE = rf"({_BRACED}|{_QUOTED}|(?:{_PLAIN}(?:[ \t]+(?![\w.-]+\s*(?:=|%3D)){_PLAIN})*)?)"
_SECRET_IN_VALUE = re.compile(_SECRET_KEY + _SECRET_VALUE.replace("{stop}", ""))
_SECRET_IN_TEXT = re.compile(_SECRET_KEY + _SECRET_VALUE.replace("{stop}", "'\"<>()"))


def mask_secrets(text: str, *, whole: bool = False) -> str:
    """``text`` with every password replaced by ``***``, before (and without) any parsing.

    Rules, for URLs and connection strings, well-formed or not:

    * a URL's user info ``scheme://user:PASSWORD@host``: the password is everything from the
      first ``:`` after the scheme's slashes (one slash missing is still a URL) to the **last**
      ``@`` before the host, so ``u:p@ss@host`` hides ``p@ss``. The host begins after the last
      ``@`` that comes before the first ``?`` or ``#`` following an ``@``. No ``:`` there: no
      password, nothing hidden;
    * ``password=``, ``pwd=``, ``passwd=`` and any key ending so (``PGPASSWORD=``,
      ``sslpassword=``), any case, with ``=`` or ``%3D``: in query strings, ODBC strings
      (``;Pwd={se;cret};``) and libpq strings (``password='a b' dbname=crm``), the value up to
      ``;``, ``&``, the end of the line or the next ``key=``.

    Args:
        text: Any text: an error message, a log line, a configured value.
        whole: ``text`` is one URL or connection string (a configured value): it may hold spaces
            and quotes, and without a scheme ``user:PASSWORD@host`` is still masked. Otherwise
            URLs are found in the text (each up to a space or a quote).

    Examples:
        >>> mask_secrets("cannot open postgresql://ana:p@ss@db/crm: refused")
        'cannot open postgresql://ana:***@db/crm: refused'
        >>> mask_secrets("Driver={ODBC 18};Server=db;Uid=ana;Pwd={se;cret};", whole=True)
        'Driver={ODBC 18};Server=db;Uid=ana;Pwd=***;'
    """
    return _mask(text, whole=whole, found=None)


def find_secrets(value: str) -> list[str]:
    """The passwords :func:`mask_secrets` hides in ``value`` (one URL or connection string).

    Lets a caller also hide them where they show up in another text (a driver's message).

    Examples:
        >>> find_secrets("postgresql://ana:p@ss@db/crm?sslpassword=k3y")
        ['p@ss', 'k3y']
    """
    found: list[str] = []
    _mask(value, whole=True, found=found)
    return found


def _mask(text: str, *, whole: bool, found: list[str] | None) -> str:
    if not text or ("@" not in text and "=" not in text and "%3" not in text.upper()):
        return text
    if whole:
        scheme = _SCHEME.match(text.lstrip())
        if scheme is not None:
            start = len(text) - len(text.lstrip()) + scheme.end()
            text = _mask_user_info(text, start, found)
        elif not _KEY_VALUE_START.match(text):
            text = _mask_user_info(text, 0, found)
        pattern = _SECRET_IN_VALUE
    else:
        text = _URL_IN_TEXT.sub(
            lambda m: _mask_user_info(m.group(), _SCHEME.match(m.group()).end(), found),  # type: ignore[union-attr]
            text,
        )
        pattern = _SECRET_IN_TEXT

    def value(match: re.Match[str]) -> str:
        if found is not None and match.group(3) and match.group(3) != MASK:
            found.append(match.group(3))
        return f"{match.group(1)}{match.group(2)}{MASK}"

    return pattern.sub(value, text)


def _mask_user_info(url: str, start: int, found: list[str] | None) -> str:
    """``url`` with the password of the user info that begins at ``start`` masked."""
    first = url.find("@", start)
    if first < 0:
        return url
    ends = [i for c in "?#" if (i := url.find(c, first)) >= 0]
    last = url.rfind("@", start, min(ends, default=len(url)))
    colon = url.find(":", start, last)
    if colon < 0:
        return url
    if found is not None and url[colon + 1 : last] not in ("", MASK):
        found.append(url[colon + 1 : last])
    return f"{url[: colon + 1]}{MASK}{url[last:]}"


_EMAIL = re.compile(r"[^\s@/\\:<>()\[\]]+@[^\s@/\\:<>()\[\]]+\.[A-Za-z]{2,}")
_DIGIT_RUN = re.compile(r"\+?\d[\d \t().-]{5,}\d")
# A date or a time at the start of a digit run ("2026-09-01 415-555-0134") is not a number.
_DATE_START = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T_.-]+\d{2}[:.-]\d{2}(?:[:.-]\d{2})?)?[ ._-]*")


def mask_personal(text: str) -> str:
    """``text`` (a file path, a locator, an id) with e-mail addresses, phone numbers and card
    numbers replaced by ``<EMAIL>``, ``<PHONE>`` and ``<CARD>``, and passwords masked
    (:func:`mask_secrets`): for addresses of records that logs, errors and the quarantine
    listing show. Names are not found here (that needs NER): the report never shows file names.

    A phone number is 7 to 15 digits with separators or a ``+``, or 10 to 15 in a row; a card
    13 to 19 digits that pass the Luhn check. Dates (``2026-09-01``) are left alone.

    Examples:
        >>> mask_personal("notes/2026-09-01 call with ana@example.com +1 415 555 0134.md")
        'notes/2026-09-01 call with <EMAIL> <PHONE>.md'
    """
    if not text:
        return text
    text = _EMAIL.sub("<EMAIL>", mask_secrets(text))
    return _DIGIT_RUN.sub(_mask_number, text)


def _mask_number(match: re.Match[str]) -> str:
    run = match.group()
    date = _DATE_START.match(run)
    keep, rest = (run[: date.end()], run[date.end() :]) if date else ("", run)
    digits = "".join(c for c in rest if c.isdigit())
    if 13 <= len(digits) <= 19 and _luhn(digits):
        return f"{keep}<CARD>"
    separated = len(digits) < len(rest.strip())
    if 7 <= len(digits) <= 15 and (separated or len(digits) >= 10):
        tail = rest[len(rest.rstrip(" \t.-")) :]
        return f"{keep}<PHONE>{tail}"
    return run


def _luhn(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


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
        super().__init__(mask_secrets(f"{where}: {message}" if where else message))

    def __reduce__(self):  # keep pickling (multiprocessing, Ray) working with keyword args
        return (_rebuild, (type(self), self.args, self.__dict__))


class ConnectorError(SilobridgeError, ValueError):
    """A record or a file could not be read.

    Its message reads ``path:locator: reason`` and never contains the record's content,
    which may hold personal data, nor a password (all three are passed through
    :func:`mask_secrets`).
    """

    def __init__(self, reason: str, *, path: str = "", locator: str = ""):
        self.path = path = mask_personal(path)
        self.locator = locator = mask_personal(locator)
        self.reason = reason = mask_secrets(reason)
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
