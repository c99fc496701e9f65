"""Markup to plain text: HTML (Intercom, Zendesk ``html_body``) and whitespace clean-up; and
YAML read safely (note front matter, label descriptions, the taxonomy file).
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from typing import Any

import yaml
from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning

_BLOCK_TAGS = (
    "p", "div", "br", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "hr", "section", "article", "header", "footer",
)  # fmt: skip
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_NEWLINES = re.compile(r"\n+")
# C0/C1 control characters other than tab and newline carry no text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def html_to_text(html: str) -> str:
    """Convert an HTML fragment to plain text.

    Block elements become line breaks, list items get a leading ``- ``, entities are decoded,
    links keep their visible text, and ``<script>``/``<style>`` are removed.

    Examples:
        >>> html_to_text("<p>Export <b>fails</b> &amp; times out</p><p>Since Monday</p>")
        'Export fails & times out\\nSince Monday'
    """
    if not html:
        return ""
    if "<" not in html and "&" not in html:
        return clean_text(html)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "head"]):
        tag.decompose()
    for tag in soup.find_all("li"):
        tag.insert_before("\n- ")
        tag.insert_after("\n")
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    return _NEWLINES.sub("\n", clean_text(soup.get_text()))


def clean_text(text: str) -> str:
    """Normalise whitespace and Unicode (NFC), drop control characters, trim each line."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


# --- YAML ----------------------------------------------------------------------------------------

#: Why :class:`SafeYAMLLoader` refuses a document that uses an alias.
ALIASES_REFUSED = "YAML aliases are not allowed"
#: How deeply :class:`SafeYAMLLoader` lets lists and mappings nest.
MAX_YAML_DEPTH = 64


class SafeYAMLLoader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses aliases (``*name``) and deep nesting.

    An alias repeats what its anchor holds: nine lists of nine aliases each make a few hundred
    bytes expand into hundreds of millions of values (the "billion laughs"). No file silobridge
    reads needs them, so the first one stops the load with a :class:`yaml.MarkedYAMLError`
    whose ``problem`` is :data:`ALIASES_REFUSED` and whose ``problem_mark`` is the alias's line.
    Nesting deeper than :data:`MAX_YAML_DEPTH` stops it the same way (rather than a
    ``RecursionError``).

    Examples:
        >>> try:
        ...     yaml.load("a: &x [1, 2]\\nb: *x\\n", Loader=SafeYAMLLoader)
        ... except yaml.YAMLError as e:
        ...     e.problem, e.problem_mark.line + 1
        ('YAML aliases are not allowed', 2)
    """

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, ALIASES_REFUSED, event.start_mark)
        if self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent):
            self._depth += 1
            try:
                if self._depth > MAX_YAML_DEPTH:
                    event = self.peek_event()
                    raise yaml.composer.ComposerError(
                        None,
                        None,
                        f"nested more than {MAX_YAML_DEPTH} levels deep",
                        event.start_mark,
                    )
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1
        return super().compose_node(parent, index)


def load_yaml(text: str) -> Any:
    """``text`` read with :class:`SafeYAMLLoader`.

    Raises:
        yaml.YAMLError: if it is not valid YAML, or uses an alias (see :class:`SafeYAMLLoader`).
    """
    return yaml.load(text, Loader=SafeYAMLLoader)


def yaml_error_reason(error: yaml.YAMLError, *, first_line: int = 1) -> str:
    """What is wrong, and its line, for a YAML error: ``YAML aliases are not allowed (line 3)``.

    Never quotes the document (PyYAML's own ``str()`` shows the line it stopped at).

    Args:
        error: The error.
        first_line: The line of the file the YAML text starts on.
    """
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or "not valid YAML"
    line = f" (line {mark.line + first_line})" if mark is not None else ""
    return f"{problem}{line}"
