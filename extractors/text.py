"""Markup to plain text: HTML (Intercom, Zendesk ``html_body``) and whitespace clean-up."""

from __future__ import annotations

import re
import unicodedata
import warnings

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
