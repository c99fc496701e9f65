"""The understand stage: items into insight units that are safe to share, tagged and embedded.

For each item:

1. **segment** (:mod:`.segment`): split into insight units, drop greetings, signatures, quoted
   replies and the rest of what carries no insight;
2. **redact** (:mod:`.redact`) and **tag entities** (:mod:`.entities`) from one spaCy parse of
   each *distinct* unit text (support macros and call choreography repeat: on the bundled sample
   9,949 units hold 4,533 distinct texts); then the names of the item's own speakers are
   redacted wherever they appear in its units (a cheap, exact complement to NER);
3. **embed** (:mod:`.embed`) the redacted texts through the embedding cache: a text already
   embedded by the same model is never encoded again.

Every unit keeps its ``item_id``, position, character span in the item's text, role, a
pseudonymous ``speaker_key`` (never the speaker's name) and timestamp; its ``text`` is
redacted, and its ``entities`` point into that redacted text.

Company names are never redacted: the taxonomy's company and gazetteer names, the
``known_orgs`` a caller passes, and the items' ``account`` values that are companies
(:mod:`.redact_accounts`: an account named like a person, a sole trader's, is redacted as one).

Long texts never fail: segmentation cuts an item's text at
:data:`~.segment.MAX_ITEM_CHARS`, segments turns over
:data:`~silobridge.pipeline.nlp.MAX_NLP_CHARS` in pieces and makes no unit longer than
:data:`~.segment.MAX_UNIT_CHARS`; :func:`analyze_texts` takes any text in pieces of at most
``MAX_NLP_CHARS``. ``stats`` count what was cut (``items_cut``, ``chars_cut``) and split.

This module works on a DataFrame of items and reads no store:

* :func:`understand` (or :class:`UnderstandStage` to keep the models loaded between calls),
  for notebooks: returns units, dropped spans and vectors, writes nothing but the embedding
  cache you pass;
* :func:`process_chunk`: one chunk of items as rows of the store's ``units`` and
  ``understood`` tables (a :class:`Chunk`), here or on a Ray worker.

The main job's entry point, :func:`~.stage.run_understand` in :mod:`.stage`, is incremental
against the store: it runs :func:`process_chunk` on the items whose ``record_hash`` or the
stage's :attr:`~UnderstandStage.version` (algorithms, gazetteer) changed, and replaces their
old units; a changed embedding model only re-embeds.

Examples:
    >>> stage = UnderstandStage(taxonomy="data/taxonomy.yaml")      # doctest: +SKIP
    >>> result = stage.run(store.items().head(100))                  # doctest: +SKIP
    >>> result.units[["item_id", "role", "text", "entities"]].head() # doctest: +SKIP
    >>> result.vectors.shape                                         # doctest: +SKIP
    (471, 384)
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ...classifiers.substance import SubstanceModel
from ...errors import ConfigError
from ...taxonomy import Taxonomy, gazetteer_names, load_taxonomy
from ..embed import Embedder, embed
from ..nlp import MAX_NLP_CHARS, in_pieces, load_pipeline
from ..store.cache import EmbeddingCache, cache_key
from ..store.schema import UNDERSTOOD, UNITS
from . import entities as entities_mod
from . import redact as redact_mod
from . import segment as segment_mod
from . import voice as voice_mod
from .entities import Entity, EntityTagger, join_entities
from .redact import RedactedSpan, Redaction, Redactor, join_redactions, render
from .redact_accounts import allow_form, company_accounts, pseudonym
from .redact_names import NOT_NAMES

log = logging.getLogger(__name__)

#: Changes whenever a change in this module can change the units it writes. v2: only the
#: accounts that are companies join the allow list (:mod:`.redact_accounts`); v4: each unit's
#: ``voice`` and ``substance`` (:mod:`.voice`).
ALGORITHM = "understand.v4"
#: Distinct unit texts whose redaction and entities a stage remembers between calls.
MEMO_SIZE = 500_000
#: Item columns copied onto their units (when the items have them).
ITEM_COLUMNS = ("source_name", "source", "function", "channel", "account", "created_at")
#: What the length limits did (:attr:`.segment.SegmentResult.limits`), in ``stats``.
LIMIT_STATS = ("items_cut", "chars_cut", "items_split", "sentences_split")


@dataclass
class UnderstandResult:
    """What :meth:`UnderstandStage.run` returns.

    Attributes:
        units: One row per unit: ``unit_id``, ``item_id``, the item's ``source_name``,
            ``source``, ``function``, ``channel``, ``account``, ``created_at`` (those the items
            have), ``position``, ``part_index``, ``start``, ``end`` (in the item's text),
            ``role``, ``speaker_key``, ``timestamp``, ``text`` (redacted), ``redacted`` (the
            placeholder types, in order), ``entities`` (dicts with ``type``, ``id``, ``text``,
            ``start``, ``end`` in the redacted text), ``embedding_key``, ``model_id``.
        dropped: The dropped spans (``item_id``, ``part_index``, ``start``, ``end``, ``rule``).
        vectors: ``(len(units), dim)`` float32, L2-normalised, in the units' order.
        stats: Counts: ``items``, ``units``, ``distinct_texts``, ``redacted`` (per type),
            ``entities`` (per type), ``encoded``, ``cache_hits``; and what the length limits
            did: ``items_cut`` (items whose text was cut at
            :data:`~.segment.MAX_ITEM_CHARS`), ``chars_cut`` (characters not analysed),
            ``items_split`` (items with a turn segmented in pieces), ``sentences_split``
            (sentences over :data:`~.segment.MAX_UNIT_CHARS` split into units).
        timings: Seconds per step: ``segment``, ``analyze``, ``embed`` (of which ``encode``,
            the model itself), ``total``.
    """

    units: pd.DataFrame
    dropped: pd.DataFrame
    vectors: np.ndarray
    stats: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


class UnderstandStage:
    """The understand stage's models and settings, loaded on first use and kept.

    Args:
        taxonomy: A taxonomy YAML file, or a loaded :class:`~silobridge.taxonomy.Taxonomy`,
            whose ``gazetteer`` (products, features, competitors) is tagged and never
            redacted, and whose ``company`` name is never redacted nor a candidate competitor.
        gazetteer: The gazetteer itself, instead of ``taxonomy`` (as
            :func:`silobridge.taxonomy.load_gazetteer` returns it).
        known_orgs: Names known to be companies, neither persons nor competitors (customer
            accounts the caller knows are companies): always on the allow list.
        embedder: The embedding model (default: all-MiniLM-L6-v2 from its installed package).
        cache: Where vectors persist between runs (``None``: encode every distinct text).
        batch_size: Texts per spaCy batch.
    """

    def __init__(
        self,
        *,
        taxonomy: str | Path | Taxonomy | None = None,
        gazetteer: dict[str, list[dict[str, Any]]] | None = None,
        known_orgs: Iterable[str] = (),
        embedder: Embedder | None = None,
        cache: EmbeddingCache | None = None,
        batch_size: int = 256,
    ):
        if taxonomy is not None and gazetteer is not None:
            raise ConfigError("Pass taxonomy= or gazetteer= to UnderstandStage, not both.")
        self.taxonomy = taxonomy
        self.gazetteer = gazetteer
        self.known_orgs = tuple(known_orgs)
        #: Account names of items beyond those :meth:`run` is given (``run_understand`` sets
        #: the store's); like theirs, each joins the allow list only if it is a company.
        self.accounts: tuple[str, ...] = ()
        self.embedder = embedder
        self.cache = cache
        self.batch_size = batch_size
        self._tools: tuple[tuple[frozenset[str], frozenset[str]], Redactor, EntityTagger] | None
        self._tools = None
        self._memo: dict[str, tuple[Redaction, list[Entity]]] = {}
        self._companies: dict[str, bool] = {}  # account name -> is a company
        #: ``{source_name: "auto" | "customer" | "internal"}``: sources whose voice the
        #: config sets (``voice = ...``, :mod:`.voice`); ``run_understand`` sets it.
        self.source_voices: dict[str, str] = {}

    def __getstate__(self) -> dict[str, Any]:
        # shipped to Ray workers without its loaded spaCy pipelines and memo; they reload
        state = self.__dict__.copy()
        state["_tools"] = None
        state["_memo"] = {}
        return state

    # ------------------------------------------------------------------------- configuration

    def _taxonomy(self) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
        if getattr(self, "gazetteer_", None) is None:
            company: list[str] = []
            if self.taxonomy is not None:
                taxonomy = (
                    self.taxonomy
                    if isinstance(self.taxonomy, Taxonomy)
                    else load_taxonomy(self.taxonomy)
                )
                self.gazetteer_ = taxonomy.gazetteer
                company = list(taxonomy.company)
            else:
                self.gazetteer_ = self.gazetteer or {}
            self.company_ = company
        return self.gazetteer_, self.company_

    @property
    def embedder_(self) -> Embedder:
        if self.embedder is None:
            self.embedder = Embedder()
        return self.embedder

    @property
    def version(self) -> str:
        """What the units depend on besides the item: algorithms, gazetteer and company names.

        The embedding model is not part of it: a new model re-embeds without re-segmenting.
        """
        gazetteer, company = self._taxonomy()
        payload = {
            "stage": ALGORITHM,
            "segment": segment_mod.ALGORITHM,
            "redact": redact_mod.ALGORITHM,
            "entities": entities_mod.ALGORITHM,
            "voice": voice_mod.ALGORITHM,
            "substance": SubstanceModel.load().digest,
            "source_voices": dict(sorted(self.source_voices.items())),
            "gazetteer": gazetteer,
            "company": company,
        }
        text = json.dumps(payload, sort_keys=True, ensure_ascii=False)
        return f"{ALGORITHM}+{hashlib.sha256(text.encode()).hexdigest()[:12]}"

    def _nlp_tools(self, accounts: Iterable[str]) -> tuple[Redactor, EntityTagger]:
        """The redactor and tagger for items of these ``accounts`` (and :attr:`accounts`).

        The allow list holds the gazetteer, the company, :attr:`known_orgs` and the accounts
        that are companies (:func:`.redact_accounts.company_accounts`); no account is a
        candidate competitor.
        """
        gazetteer, company = self._taxonomy()
        sure = [o for o in (*self.known_orgs, *company) if o]
        names = {a.strip() for a in (*self.accounts, *accounts) if isinstance(a, str) and a.strip()}
        new = [a for a in sorted(names) if a not in self._companies]
        if new:
            known = [*sure, *gazetteer_names(gazetteer)]
            self._companies.update(company_accounts(new, nlp=load_pipeline(), known=known))
            persons = sum(not self._companies[a] for a in new)
            if persons:
                log.info(
                    "%d of %d accounts are not companies: not on the allow list", persons, len(new)
                )
        orgs = frozenset([*sure, *(allow_form(a) for a in names if self._companies[a])])
        customers = frozenset(names)
        key = (orgs, customers)
        if self._tools is None or self._tools[0] != key:
            allow = [*gazetteer_names(gazetteer), *sorted(orgs)]
            redactor = Redactor(allow_list=allow, batch_size=self.batch_size)
            tagger = EntityTagger(
                gazetteer=gazetteer,
                known_orgs=sorted(orgs | customers),
                nlp=redactor.pipeline,
                batch_size=self.batch_size,
            )
            self._tools = (key, redactor, tagger)
            self._memo = {}
        return self._tools[1], self._tools[2]

    def _shown_account(self, account: Any) -> Any:
        """``account`` as the units carry it: a company's name as it is, anyone else's as a
        :func:`.redact_accounts.pseudonym`, blank as ``None``."""
        if not isinstance(account, str) or not account.strip():
            return None
        name = account.strip()
        return name if self._companies.get(name, False) else pseudonym(name)

    # ----------------------------------------------------------------------------- running

    def run(self, items: pd.DataFrame, *, embed_units: bool = True) -> UnderstandResult:
        """Segment, redact, tag and embed ``items``.

        Args:
            items: Items as in the store: ``item_id`` and ``text``; ``parts`` (speaker turns),
                ``account``, ``created_at`` and the other item columns are used when present.
            embed_units: ``False`` skips embedding (``vectors`` is then empty and
                ``embedding_key`` is computed without the model's vectors).

        Returns:
            The units, the dropped spans and the vectors.
        """
        started = time.perf_counter()
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        seg = segment_mod.segment(items, batch_size=self.batch_size)
        units = seg.units
        timings["segment"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        accounts = []
        if "account" in items.columns:
            accounts = [a for a in items["account"].dropna().unique() if isinstance(a, str)]
        redactor, tagger = self._nlp_tools(accounts)
        texts = units["text"].tolist()
        distinct = list(dict.fromkeys(texts))
        # texts seen by an earlier call with the same tools (an earlier chunk of the run)
        memo = self._memo
        new = [t for t in distinct if t not in memo]
        redactions, found = analyze_texts(new, redactor=redactor, tagger=tagger)
        fresh = dict(zip(new, zip(redactions, found, strict=True), strict=True))
        by_text = {t: fresh[t] if t in fresh else memo[t] for t in distinct}
        if len(memo) + len(fresh) > MEMO_SIZE:
            memo.clear()
        memo.update(fresh)
        names = _names_by_item(items, units["item_id"], texts, by_text, allowed=redactor.allow_list)
        out_text, out_types, out_entities = [], [], []
        for item_id, text in zip(units["item_id"], texts, strict=True):
            redaction, ents = by_text[text]
            item_names = names.get(item_id)
            if item_names is not None:
                extra = item_names.spans(text)
                if extra:
                    redaction = merge_spans(text, [*redaction.spans, *extra])
            out_text.append(redaction.text)
            out_types.append([s.type for s in redaction.spans])
            out_entities.append([_entity_dict(e) for e in map_entities(ents, redaction.spans)])
        timings["analyze"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        embedder = self.embedder_
        model_id = embedder.model_id
        if embed_units:
            embedded = embed(out_text, embedder=embedder, cache=self.cache)
            vectors = embedded.vectors
            encoded, hits = embedded.encoded, embedded.cache_hits
            timings["encode"] = embedded.timings["encode"]
        else:
            vectors = np.empty((0, 0), dtype=np.float32)
            encoded = hits = 0
        keys_of = {t: cache_key(model_id, t) for t in dict.fromkeys(out_text)}
        timings["embed"] = time.perf_counter() - t0

        frame = _unit_frame(items, units, out_text, out_types, out_entities)
        if "account" in frame:  # an account that is not a company leaves items as a pseudonym
            frame["account"] = [self._shown_account(a) for a in frame["account"]]
        frame["embedding_key"] = [keys_of[t] for t in out_text]
        frame["model_id"] = model_id
        companies = [a for a, company in self._companies.items() if company]
        frame["voice"], frame["substance"] = voice_mod.assign_voice(
            frame,
            _item_texts(items),
            voice_mod.substance_scores(vectors, out_text, model_id) if embed_units else None,
            source_voices=self.source_voices,
            companies=companies,
        )
        if "account" in frame:  # a relay is attributed to the account it names
            frame["account"] = voice_mod.named_accounts(frame, companies)
        timings["total"] = time.perf_counter() - started
        stats = {
            "items": len(items),
            "units": len(frame),
            "distinct_texts": len(distinct),
            "analyzed_texts": len(new),
            "redacted": dict(Counter(t for types in out_types for t in types)),
            "entities": dict(Counter(e["type"] for ents in out_entities for e in ents)),
            "encoded": encoded,
            "cache_hits": hits,
            **{k: seg.limits.get(k, 0) for k in LIMIT_STATS},
        }
        return UnderstandResult(frame, seg.dropped, vectors, stats, timings)


def understand(
    items: pd.DataFrame,
    *,
    taxonomy: str | Path | None = None,
    embedder: Embedder | None = None,
    cache: EmbeddingCache | None = None,
) -> UnderstandResult:
    """Segment, redact, tag and embed a DataFrame of items (see :class:`UnderstandStage`).

    Examples:
        >>> result = understand(store.items(), taxonomy="data/taxonomy.yaml")  # doctest: +SKIP
        >>> result.units.groupby("function").size()                          # doctest: +SKIP
    """
    stage = UnderstandStage(taxonomy=taxonomy, embedder=embedder, cache=cache)
    return stage.run(items)


# ----------------------------------------------------------------------------------- pieces


def analyze_texts(
    texts: Sequence[str], *, redactor: Redactor, tagger: EntityTagger, gate: bool = True
) -> tuple[list[Redaction], list[list[Entity]]]:
    """Redact and tag each text from one spaCy parse (when both share a pipeline).

    With ``gate`` (the default) each text gets only the parts of the pipeline it needs
    (:meth:`.redact.Redactor.parse_many`): most unit
    texts name no one and are only tokenised, for the same output. A text longer than
    :data:`~silobridge.pipeline.nlp.MAX_NLP_CHARS` is analysed in pieces
    (:func:`~silobridge.pipeline.nlp.pieces`), whose results are put together.

    Returns:
        One :class:`Redaction` and one list of entities per text; the entities' offsets are
        in the *original* text (see :func:`map_entities`).
    """
    flat, owners = in_pieces(texts, MAX_NLP_CHARS)
    if len(flat) != len(texts):
        done, tagged = analyze_texts(flat, redactor=redactor, tagger=tagger, gate=gate)
        return join_redactions(texts, owners, done), join_entities(texts, owners, tagged)
    if tagger.pipeline is not redactor.pipeline:
        return redactor.redact_many(texts, gate=gate), tagger.tag(texts)
    redactions: list[Redaction] = []
    found: list[list[Entity]] = []
    for doc, analyze in redactor.parse_many(texts, gate=gate):
        redactions.append(redactor.redact_doc(doc) if analyze else Redaction(doc.text))
        found.append(tagger.tag_doc(doc))
    return redactions, found


def merge_spans(text: str, spans: Iterable[RedactedSpan]) -> Redaction:
    """Redact ``text`` at ``spans``; overlapping spans merge (the first one's type wins)."""
    merged: list[list[Any]] = []
    for s in sorted(spans, key=lambda s: (s.start, -s.end)):
        if merged and s.start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], s.end)
        else:
            merged.append([s.start, s.end, s.type])
    return render(text, [RedactedSpan(*span) for span in merged])


def map_entities(found: Iterable[Entity], spans: Sequence[RedactedSpan]) -> list[Entity]:
    """Entities of an original text, moved to their offsets in its redacted text.

    An entity that overlaps a redacted span is dropped (it was personal data).
    """
    out = []
    for ent in found:
        shift = 0
        for s in spans:
            if s.end <= ent.start:
                shift += len(s.type) + 2 - (s.end - s.start)
            elif s.start < ent.end:
                break
        else:
            out.append(Entity(ent.type, ent.id, ent.text, ent.start + shift, ent.end + shift))
    return out


class _Names:
    """The names of an item's speakers, found again as whole words in its units."""

    def __init__(self, names: Iterable[str], allowed: Iterable[str]):
        allowed_lower = {a.lower() for a in allowed}
        words: set[str] = set()
        for name in names:
            if name.lower() in allowed_lower:
                continue
            words.add(name)
            for part in re.split(r"[\s,]+", name):
                part = part.strip(".")
                if (
                    len(part) >= 2
                    and part[0].isupper()
                    and part.lower() not in NOT_NAMES
                    and part.lower() not in allowed_lower
                ):
                    words.add(part)
        ordered = sorted(words, key=len, reverse=True)
        self.pattern = (
            re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, ordered)) + r")(?!\w)")
            if ordered
            else None
        )

    def spans(self, text: str) -> list[RedactedSpan]:
        if self.pattern is None:
            return []
        return [RedactedSpan(m.start(), m.end(), "PERSON") for m in self.pattern.finditer(text)]


def _names_by_item(
    items: pd.DataFrame,
    unit_items: Iterable[str],
    texts: Sequence[str],
    by_text: dict[str, tuple[Redaction, list[Entity]]],
    *,
    allowed: Iterable[str],
) -> dict[str, _Names]:
    """Per item, the person names to redact in all its units.

    The names of its speakers (bots and e-mail addresses left out), and every name redacted as
    a person in any of its units: "Mira Chen" found in one sentence makes "Mira" go in the
    next ("Mira is Head of Growth."), as it would if the item were redacted whole.
    """
    found: dict[str, set[str]] = {}
    if "parts" in items.columns:
        for item_id, parts in zip(items["item_id"], items["parts"], strict=True):
            if parts is None or isinstance(parts, float) or not len(parts):
                continue
            for p in parts:
                speaker = p.get("speaker")
                if (
                    isinstance(speaker, str)
                    and speaker.strip()
                    and "@" not in speaker
                    and p.get("role") != "bot"
                ):
                    found.setdefault(str(item_id), set()).add(speaker.strip())
    for item_id, text in zip(unit_items, texts, strict=True):
        for span in by_text[text][0].spans:
            if span.type == "PERSON":
                found.setdefault(item_id, set()).add(text[span.start : span.end])
    allowed = list(allowed)
    return {item_id: _Names(names, allowed) for item_id, names in found.items()}


def _item_texts(items: pd.DataFrame) -> dict[str, str]:
    return {
        str(i): t if isinstance(t, str) else ""
        for i, t in zip(items["item_id"], items["text"], strict=True)
    }


def speaker_key(source_name: str | None, speaker: Any) -> str | None:
    """A pseudonymous key for a speaker: the same within a source, never the name itself."""
    if not isinstance(speaker, str) or not speaker.strip():
        return None
    payload = f"{source_name or ''}\x1f{speaker.strip().lower()}".encode()
    return hashlib.blake2b(payload, digest_size=8).hexdigest()


def _entity_dict(e: Entity) -> dict[str, Any]:
    return {"type": e.type, "id": e.id, "text": e.text, "start": e.start, "end": e.end}


def _unit_frame(
    items: pd.DataFrame,
    units: pd.DataFrame,
    texts: list[str],
    types: list[list[str]],
    found: list[list[dict[str, Any]]],
) -> pd.DataFrame:
    carried = [c for c in ITEM_COLUMNS if c in items.columns]
    frame = units.drop(columns=["text", "speaker"])
    if carried:
        meta = items[["item_id", *carried]].drop_duplicates("item_id")
        meta = meta.assign(item_id=meta["item_id"].astype(str))
        frame = frame.merge(meta, on="item_id", how="left", validate="many_to_one")
    source_names = frame["source_name"] if "source_name" in frame else [None] * len(frame)
    frame["speaker_key"] = [
        speaker_key(s, p) for s, p in zip(source_names, units["speaker"], strict=True)
    ]
    frame["text"] = texts
    frame["redacted"] = types
    frame["entities"] = found
    return frame


@dataclass
class Chunk:
    """What one chunk of items gives the store: its units and ``understood`` rows, the vectors
    to append to the embedding cache (from a Ray worker; the local engine appends them
    itself), counts and seconds."""

    items: int
    units: pa.Table
    understood: pa.Table
    model_id: str
    stats: dict[str, int]
    timings: dict[str, float]
    cache_keys: list[str] = field(default_factory=list)
    cache_vectors: np.ndarray | None = None


def process_chunk(
    stage: UnderstandStage, chunk: pd.DataFrame, *, version: str, run_id: str, now: datetime
) -> Chunk:
    """Understand one chunk of items, as rows of the ``units`` and ``understood`` tables."""
    if not len(chunk):
        model_id = stage.embedder_.model_id
        return Chunk(0, UNITS.empty_table(), UNDERSTOOD.empty_table(), model_id, {}, {})
    out = stage.run(chunk)
    stats: Counter[str] = Counter()
    for k in ("units", "distinct_texts", "analyzed_texts", "encoded", "cache_hits", *LIMIT_STATS):
        stats[k] += out.stats[k]
    for k, v in out.stats["redacted"].items():
        stats[f"redacted_{k}"] += v
    for k, v in out.stats["entities"].items():
        stats[f"entities_{k}"] += v
    return Chunk(
        items=len(chunk),
        units=_units_table(out.units, chunk, version, run_id),
        understood=pa.Table.from_pylist(
            _understood_rows(chunk, out, version, run_id, now), schema=UNDERSTOOD
        ),
        model_id=stage.embedder_.model_id,
        stats=dict(stats),
        timings=dict(out.timings),
    )


def _units_table(units: pd.DataFrame, chunk: pd.DataFrame, version: str, run_id: str) -> pa.Table:
    frame = units.copy()
    frame["item_hash"] = frame["item_id"].map(
        dict(zip(chunk["item_id"], chunk["record_hash"], strict=True))
    )
    frame["version"] = version
    frame["run_id"] = run_id
    frame["part_index"] = frame["part_index"].astype("Int32")
    table = pa.Table.from_pandas(frame[UNITS.names], preserve_index=False)
    return table.cast(UNITS)


def _understood_rows(
    chunk: pd.DataFrame, out: UnderstandResult, version: str, run_id: str, now: datetime
) -> list[dict[str, Any]]:
    n_units = out.units.groupby("item_id").size().to_dict()
    dropped: dict[str, list[dict[str, Any]]] = {}
    for row in out.dropped.itertuples(index=False):
        dropped.setdefault(row.item_id, []).append(
            {
                "part_index": None if pd.isna(row.part_index) else int(row.part_index),
                "start": int(row.start),
                "end": int(row.end),
                "rule": row.rule,
            }
        )
    return [
        {
            "item_id": item_id,
            "source_name": source_name,
            "item_hash": item_hash,
            "version": version,
            "units": int(n_units.get(item_id, 0)),
            "dropped": dropped.get(item_id, []),
            "run_id": run_id,
            "processed_at": now,
        }
        for item_id, source_name, item_hash in zip(
            chunk["item_id"], chunk["source_name"], chunk["record_hash"], strict=True
        )
    ]
