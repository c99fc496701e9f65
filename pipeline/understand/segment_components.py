"""The segmentation's spaCy components: line rules, then units from the kept sentences.

* ``silobridge_segment_lines`` (:class:`LineRules`, first in the pipeline): line rules (quotes,
  auto-replies, signatures, sign-off lines) and sentence starts at line breaks;
* ``silobridge_segment_units`` (:class:`UnitBuilder`, last): sentence rules (greetings, closing
  formulas, fillers, bot boilerplate), then the merge of short sentences into units; no unit is
  longer than :data:`MAX_UNIT_CHARS` (a longer sentence is split at clause or word boundaries).

Importing this module registers them, and the ``Doc`` extensions they set, once. The rules
themselves are in :mod:`.segment_rules`; :mod:`.segment` builds pipelines with these components
and runs them on items (and re-exports :data:`LINES`, :data:`UNITS` and :data:`MIN_TOKENS`).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from typing import Any

from spacy.attrs import IDX, IS_SPACE, LENGTH, SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from ...errors import ConfigError
from ..nlp import pieces
from .segment_rules import (
    DROP_RULES,
    TERMINAL,
    is_bot_label,
    is_bot_sentence,
    is_lead_in,
    is_weak,
    leading_salutation,
    line_rules,
    lines,
    phatic_rule,
    relay_pieces,
    words_of,
)

LINES = "silobridge_segment_lines"
UNITS = "silobridge_segment_units"
MIN_TOKENS = 4
#: The longest unit, in characters. A longer sentence (a pasted log, a transcript without
#: punctuation) is split into pieces at sentence, clause or word boundaries, each its own unit.
#: The embedding model reads about this much (256 word pieces) of a text anyway.
MAX_UNIT_CHARS = 1_000

Piece = tuple[int, int, str | None]  # start, end, drop rule (None: kept)
#: Roles whose sentences may pass on someone else's words (a staff member's message or note).
RELAYING_ROLES = ("internal", "unknown")
#: Kept pieces that are units of their own: a quotation, the frame before a colon.
PASSAGES = ("quote", "lead")


def _relay_cuts(text: str, labelled: list[list[Any]], min_tokens: int) -> list[list[Any]]:
    """Kept sentences of a staff turn cut at a quotation or a colon that introduces a passage
    (:func:`.segment_rules.relay_pieces`): the passed-on words become a unit of their own."""
    out: list[list[Any]] = []
    for s, e, rule in labelled:
        if rule is not None:
            out.append([s, e, rule])
            continue
        for a, b, kind in relay_pieces(text[s:e], min_words=min_tokens):
            out.append([s + a, s + b, kind])
    return out


def _register_extensions() -> None:
    """Doc extensions, registered once: a re-imported module must not raise."""
    for name, default in (
        ("sb_role", "unknown"),
        ("sb_text", None),
        ("sb_blocks", None),
        ("sb_units", None),
        ("sb_dropped", None),
        ("sb_split", 0),
    ):
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=default)


_register_extensions()


def _text(doc: Doc) -> str:
    """The doc's text: ``doc.text`` joins every token, so the caller's string is reused."""
    text = doc._.sb_text
    if text is None or not len(doc) or doc[-1].idx + len(doc[-1].text_with_ws) != len(text):
        text = doc.text
        doc._.sb_text = text
    return text


def _check_rules(drop_rules: Sequence[str]) -> list[str]:
    unknown = sorted(set(drop_rules) - set(DROP_RULES))
    if unknown:
        raise ConfigError(
            f"Unknown drop rule(s) {', '.join(map(repr, unknown))}. "
            f"Available: {', '.join(DROP_RULES)}."
        )
    return list(drop_rules)


class LineRules:
    """Component: line-level drop rules and sentence starts at line breaks.

    Sets ``doc._.sb_blocks`` (``(start, end, rule)`` of dropped lines) and ``is_sent_start`` at
    each line start, except where a long line runs on in lower case (a hard-wrapped sentence),
    and at each block edge, so no sentence straddles kept and dropped text.
    """

    def __init__(self, *, drop_rules: Sequence[str] = DROP_RULES, wrap_min_chars: int = 50):
        self.drop_rules = _check_rules(drop_rules)
        self.wrap_min_chars = wrap_min_chars

    def __call__(self, doc: Doc) -> Doc:
        text = _text(doc)
        blocks = line_rules(text, self.drop_rules)
        doc._.sb_blocks = blocks
        starts = {s for s, _, _ in blocks} | {e for _, e, _ in blocks}
        prev = None
        for s, e in lines(text):
            line = text[s:e]
            stripped = line.strip()
            if not stripped:
                prev = None
                continue
            wrapped = (
                prev is not None
                and len(prev) >= self.wrap_min_chars
                and not TERMINAL.search(prev)
                and stripped[0].islower()
            )
            if not wrapped:
                starts.add(s + len(line) - len(line.lstrip()))
            prev = stripped
        _set_sent_starts(doc, starts)
        return doc


def _set_sent_starts(doc: Doc, starts: set[int]) -> None:
    """Mark the first non-space token at or after each position in ``starts``."""
    if not starts or not len(doc):
        return
    idx = doc.to_array(IDX).tolist()
    space = doc.to_array(IS_SPACE).tolist()
    marks: Any = doc.to_array([SENT_START])
    for pos in starts:
        i = bisect.bisect_left(idx, pos)
        while i < len(idx) and space[i]:
            i += 1
        if 0 < i < len(idx):
            marks[i] = 1
    # one array write: setting ``token.is_sent_start`` scans the whole doc each time
    doc.from_array([SENT_START], marks)


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    """``(s, e)`` without the white space at either end of ``text[s:e]``."""
    piece = text[s:e]
    return s + len(piece) - len(piece.lstrip()), e - len(piece) + len(piece.rstrip())


def _sentence_spans(doc: Doc) -> list[tuple[int, int]]:
    """Character spans of ``doc.sents``, read from arrays (no Token objects: 3x faster)."""
    if not len(doc):
        return []
    array = doc.to_array([IDX, LENGTH, SENT_START])
    idx, length, start = array[:, 0].tolist(), array[:, 1].tolist(), array[:, 2].tolist()
    firsts = [0, *[i for i in range(1, len(idx)) if start[i] == 1], len(idx)]
    return [(idx[a], idx[b - 1] + length[b - 1]) for a, b in itertools.pairwise(firsts)]


class UnitBuilder:
    """Component: sentence-level drop rules, then units from the kept sentences.

    Sets ``doc._.sb_units`` (``(start, end)`` character spans) and ``doc._.sb_dropped``
    (``(start, end, rule)``), both in the doc's text and in order, and ``doc._.sb_split`` (how
    many sentences over ``max_chars`` were split). Runs ``LineRules`` itself if that component
    did not run. No unit is longer than ``max_chars``: a longer sentence is cut into pieces
    (:func:`silobridge.pipeline.nlp.pieces`), and a short sentence joins a neighbour only
    within that length.
    """

    def __init__(
        self,
        *,
        drop_rules: Sequence[str] = DROP_RULES,
        min_tokens: int = MIN_TOKENS,
        max_chars: int = MAX_UNIT_CHARS,
    ):
        self.drop_rules = _check_rules(drop_rules)
        if not isinstance(min_tokens, int) or min_tokens < 1:
            raise ConfigError(f"min_tokens must be an integer >= 1. Got {min_tokens!r} instead.")
        if not isinstance(max_chars, int) or max_chars < 2:
            raise ConfigError(f"max_chars must be an integer >= 2. Got {max_chars!r} instead.")
        self.min_tokens = min_tokens
        self.max_chars = max_chars

    def __call__(self, doc: Doc) -> Doc:
        text = _text(doc)
        blocks = doc._.sb_blocks
        if blocks is None:
            blocks = line_rules(text, self.drop_rules)
        bot = doc._.sb_role == "bot"
        sentences, doc._.sb_split = self._pieces(text, doc, blocks)
        rules = set(self.drop_rules)
        labelled: list[list[Any]] = []
        for s, e, rule in sentences:
            sentence = text[s:e]
            if rule is None:
                rule = phatic_rule(sentence)
                if rule is not None and rule not in rules:
                    rule = None
                if rule is None and "greeting" in rules and (cut := leading_salutation(sentence)):
                    greeting = (
                        "bot_boilerplate" if bot and "bot_boilerplate" in rules else "greeting"
                    )
                    labelled.append([s, s + len(sentence[:cut].rstrip()), greeting])
                    s += cut
                    sentence = text[s:e]
            if (
                bot
                and "bot_boilerplate" in rules
                and (rule is not None or is_bot_sentence(sentence) or is_bot_label(text, s, e))
            ):
                rule = "bot_boilerplate"
            labelled.append([s, e, rule])
        if doc._.sb_role in RELAYING_ROLES:
            labelled = _relay_cuts(text, labelled, self.min_tokens)
        doc._.sb_units = self._merge(text, labelled)
        dropped: list[tuple[int, int, str]] = []
        for s, e, rule in labelled:
            if rule is None or rule in PASSAGES:
                continue
            if dropped and dropped[-1][2] == rule and not text[dropped[-1][1] : s].strip():
                dropped[-1] = (dropped[-1][0], e, rule)
            else:
                dropped.append((s, e, rule))
        doc._.sb_dropped = dropped
        return doc

    def _pieces(
        self, text: str, doc: Doc, blocks: list[tuple[int, int, str]]
    ) -> tuple[list[Piece], int]:
        """Sentences cut at block edges, and into pieces of at most ``max_chars``, and
        trimmed, each with its block's rule (or None); and how many sentences were too long."""
        cuts = sorted({p for s, e, _ in blocks for p in (s, e)})
        out: list[Piece] = []
        b = 0
        split = 0
        for sent_start, sent_end in _sentence_spans(doc):
            inner = cuts[bisect.bisect_right(cuts, sent_start) : bisect.bisect_left(cuts, sent_end)]
            for s, e in itertools.pairwise([sent_start, *inner, sent_end]):
                s, e = _trim(text, s, e)
                if s >= e:
                    continue
                spans = [(s, e)]
                if e - s > self.max_chars:
                    spans = [_trim(text, a, z) for a, z in pieces(text, self.max_chars, s, e)]
                    split += 1
                for s, e in spans:
                    if s >= e:
                        continue
                    while b < len(blocks) and blocks[b][1] <= s:
                        b += 1
                    inside = b < len(blocks) and blocks[b][0] <= s and e <= blocks[b][1]
                    out.append((s, e, blocks[b][2] if inside else None))
        return out, split

    def _merge(self, text: str, labelled: list[list[Any]]) -> list[tuple[int, int]]:
        """Units from runs of adjacent kept sentences; short ones join a neighbour."""
        units: list[tuple[int, int]] = []
        run: list[tuple[int, int]] = []
        for s, e, rule in [*labelled, [len(text), len(text), "end"]]:
            if rule is None:
                run.append((s, e))
                continue
            units.extend(self._merge_run(text, run))
            run = []
            if rule in PASSAGES:  # a passage or its frame: a unit of its own, never merged
                units.append((s, e))
        return units

    def _merge_run(self, text: str, run: list[tuple[int, int]]) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        pending: tuple[int, int] | None = None  # a short lead-in waiting for the next sentence
        limit = self.max_chars
        for s, e in run:
            if pending is not None:
                if e - pending[0] <= limit:
                    s = pending[0]
                else:
                    out.append(pending)  # joined, it would be too long: a unit of its own
                pending = None
            sentence = text[s:e]
            if len(words_of(sentence)) >= self.min_tokens and not is_weak(sentence):
                out.append((s, e))
            elif (
                out
                and not is_lead_in(sentence)
                and "\n\n" not in text[out[-1][1] : s]
                and e - out[-1][0] <= limit
            ):
                out[-1] = (out[-1][0], e)
            else:
                pending = (s, e)
        if pending is not None:
            if (
                out
                and "\n\n" not in text[out[-1][1] : pending[0]]
                and pending[1] - out[-1][0] <= limit
            ):
                out[-1] = (out[-1][0], pending[1])
            else:
                out.append(pending)
        return out


@Language.factory(
    LINES,
    default_config={"drop_rules": list(DROP_RULES), "wrap_min_chars": 50},
    assigns=["token.is_sent_start"],
)
def make_line_rules(
    nlp: Language, name: str, drop_rules: list[str], wrap_min_chars: int
) -> LineRules:
    """spaCy factory of :class:`LineRules`."""
    return LineRules(drop_rules=drop_rules, wrap_min_chars=wrap_min_chars)


@Language.factory(
    UNITS,
    default_config={
        "drop_rules": list(DROP_RULES),
        "min_tokens": MIN_TOKENS,
        "max_chars": MAX_UNIT_CHARS,
    },
    requires=["token.is_sent_start"],
)
def make_unit_builder(
    nlp: Language, name: str, drop_rules: list[str], min_tokens: int, max_chars: int
) -> UnitBuilder:
    """spaCy factory of :class:`UnitBuilder`."""
    return UnitBuilder(drop_rules=drop_rules, min_tokens=min_tokens, max_chars=max_chars)
