"""The understand stage's entry point: bring the store's units up to date with its items.

:func:`run_understand` is incremental against the store: new items, and items whose
``record_hash`` or the stage's :attr:`~.analyze.UnderstandStage.version` (algorithms,
gazetteer) changed, are processed (:func:`~.analyze.process_chunk`, here or on Ray) and their
old units replaced; the units of items no longer in the store go; a changed embedding model
only re-embeds. One run plans, processes the chunks, writes and commits one manifest. What a
unit is and how it is made is in :mod:`.analyze`.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..._version import __version__
from ..embed import embed
from ..engine import LOCAL, Execution, understand_chunks
from ..store.cache import EmbeddingCache, cache_key
from ..store.schema import UNDERSTOOD, UNITS
from ..store.store import Store, StoreWriter, new_run_id
from .analyze import Chunk, UnderstandStage, process_chunk
from .voice import substance_scores

log = logging.getLogger(__name__)

ProgressFn = Callable[[str, int, int], None]


@dataclass
class UnderstandRunResult:
    """What :func:`run_understand` did.

    Attributes:
        run_id: The run's id (its manifest in ``runs/``).
        items_total: Items in the store.
        items_processed: Items (re)segmented in this run: new, changed, or of another version.
        items_unchanged: Items whose units were current.
        units_written: Units written for the processed items.
        units_removed: Stored units of processed items that were replaced.
        units_reembedded: Units of unchanged items re-embedded under a new model.
        units_total: Units in the store after the run.
        stats: :attr:`~.analyze.UnderstandResult.stats`, summed over the run's chunks.
        timings: Seconds per step.
    """

    run_id: str
    store: Path
    items_total: int = 0
    items_processed: int = 0
    items_unchanged: int = 0
    units_written: int = 0
    units_removed: int = 0
    units_reembedded: int = 0
    units_total: int = 0
    stats: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    rolled_back: dict[str, tuple[int, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "store"}
        data["store"] = str(self.store)
        data["rolled_back"] = {k: list(v) for k, v in self.rolled_back.items()}
        return data


_ITEM_READ = [
    "item_id",
    "source_name",
    "source",
    "function",
    "channel",
    "account",
    "created_at",
    "text",
    "parts",
    "record_hash",
]


_ITEM_KEYS = ["item_id", "source_name", "account", "record_hash"]


@dataclass
class _Plan:
    """What a run works on: the store's items, the rows of the items understood before, and
    the items to (re)process."""

    items: pd.DataFrame
    done: pd.DataFrame
    todo: pd.DataFrame
    version: str


def run_understand(
    store: Store | str | Path,
    *,
    stage: UnderstandStage,
    full: bool = False,
    retention_days: int = 30,
    config_hash: str = "",
    run_id: str | None = None,
    chunk_items: int = 2000,
    progress: ProgressFn | None = None,
    execution: Execution = LOCAL,
) -> UnderstandRunResult:
    """Bring the store's units up to date with its items, as one run.

    New and changed items (by ``record_hash``), and items understood by another
    :attr:`UnderstandStage.version`, are segmented, redacted, tagged and embedded again; their
    old units are removed. Units of unchanged items whose embedding model differs from the
    stage's are re-embedded only. Everything commits at the end (one manifest); vectors are
    appended to the store's embedding cache as each chunk is embedded, so a killed run loses
    no embedding work.

    Args:
        store: A :class:`Store` or its folder.
        stage: The stage (taxonomy, embedder); its ``cache`` defaults to the store's.
        full: Process every item again.
        retention_days: Vacuum data files unreferenced for longer than this.
        config_hash: Hash of the configuration, recorded in the run manifest.
        run_id: The run's id (default: a timestamp plus random suffix).
        chunk_items: Items per chunk (bounds memory; one cache append per chunk).
        progress: Called with ``(step, done, total)`` as chunks finish.
        execution: Where the chunks run (:mod:`.engine`): in this process, or as Ray Data
            batches on a pool of actors (``batch_items`` items each, instead of
            ``chunk_items``). The units are the same either way.

    Raises:
        StoreLockedError: if another run is writing the store.
    """
    started = time.perf_counter()
    now = datetime.now(UTC)
    run_id = run_id or new_run_id(now)
    if not isinstance(store, Store):
        store = Store.open(store)
    if stage.cache is None:
        stage.cache = EmbeddingCache(store.embeddings_path)
    result = UnderstandRunResult(run_id=run_id, store=store.root)
    with store.writing(run_id) as writer:
        result.rolled_back = writer.rolled_back
        plan = _plan(store, stage, result, full=full, execution=execution)
        context: dict[str, Any] = {"version": plan.version, "run_id": run_id, "now": now}
        chunks = _chunks(store, stage, plan.todo, context, execution, chunk_items)
        timings, stats, unit_tables, understood_tables = _collect(
            chunks, stage.cache, progress, len(plan.todo)
        )
        t0 = time.perf_counter()
        _write(writer, plan, unit_tables, understood_tables, result)
        timings["write"] = time.perf_counter() - t0
        result.units_reembedded = _reembed_stale(writer, stage, set(plan.todo["item_id"]))
        writer.vacuum(retention_days)
        result.units_total = writer.read("units", columns=["unit_id"]).num_rows
        result.stats = dict(stats)
        timings["total"] = time.perf_counter() - started
        result.timings = {k: round(v, 3) for k, v in timings.items()}
        writer.commit(_manifest(result, stage, plan.version, now, config_hash))
    log.info(
        "understand: %d of %d items processed, %d units written, %d removed, %d re-embedded",
        result.items_processed,
        result.items_total,
        result.units_written,
        result.units_removed,
        result.units_reembedded,
    )
    return result


def _plan(
    store: Store,
    stage: UnderstandStage,
    result: UnderstandRunResult,
    *,
    full: bool,
    execution: Execution,
) -> _Plan:
    """The items to process: new, changed or of another version (all with ``full``).

    Counts them in ``result`` and gives the stage every item's account
    (:attr:`~.analyze.UnderstandStage.accounts`): those that are companies join the allow list.
    """
    # on Ray the workers read the items' texts; the driver needs only their keys
    items = store.items(columns=_ITEM_KEYS if execution.is_ray else _ITEM_READ)
    version = stage.version
    done = store.read(
        "understood", columns=["item_id", "source_name", "item_hash", "version"]
    ).to_pandas()
    current = {
        (i, h)
        for i, h, v in zip(done["item_id"], done["item_hash"], done["version"], strict=True)
        if v == version
    }
    if full:
        todo_mask = np.ones(len(items), dtype=bool)
    else:
        pairs = zip(items["item_id"], items["record_hash"], strict=True)
        todo_mask = np.fromiter((p not in current for p in pairs), bool, len(items))
    todo = items[todo_mask]
    result.items_total = len(items)
    result.items_processed = len(todo)
    result.items_unchanged = len(items) - len(todo)
    # accounts of every item, not only the chunk's: an account named in another item's text
    # is still a company, not a person (if it is a company: .redact_accounts)
    stage.accounts = tuple(sorted({*stage.accounts, *items["account"].dropna().astype(str)}))
    return _Plan(items=items, done=done, todo=todo, version=version)


def _chunks(
    store: Store,
    stage: UnderstandStage,
    todo: pd.DataFrame,
    context: dict[str, Any],
    execution: Execution,
    chunk_items: int,
) -> Iterable[Chunk]:
    """The processed chunks of ``todo``: on Ray as they finish, here as they are iterated."""
    if execution.is_ray:
        return understand_chunks(
            store,
            stage,
            set(todo["item_id"]),
            process=process_chunk,
            columns=_ITEM_READ,
            context=context,
            execution=execution,
        )
    return (
        process_chunk(stage, todo.iloc[start : start + chunk_items], **context)
        for start in range(0, len(todo), chunk_items)
    )


def _collect(
    chunks: Iterable[Chunk], cache: EmbeddingCache, progress: ProgressFn | None, total: int
) -> tuple[dict[str, float], Counter[str], list[pa.Table], list[pa.Table]]:
    """Each chunk's vectors appended to the cache as it comes; its timings, stats and tables
    gathered."""
    timings: dict[str, float] = defaultdict(float)
    stats: Counter[str] = Counter()
    unit_tables: list[pa.Table] = []
    understood_tables: list[pa.Table] = []
    done_items = 0
    for chunk in chunks:
        if chunk.cache_keys and chunk.cache_vectors is not None:
            t0 = time.perf_counter()
            cache.put(chunk.cache_keys, chunk.cache_vectors, model_id=chunk.model_id)
            timings["cache_write"] += time.perf_counter() - t0
        for k, v in chunk.timings.items():
            timings[k] += v
        stats.update(chunk.stats)
        unit_tables.append(chunk.units)
        understood_tables.append(chunk.understood)
        done_items += chunk.items
        if progress is not None:
            progress("items", done_items, total)
    return timings, stats, unit_tables, understood_tables


def _write(
    writer: StoreWriter,
    plan: _Plan,
    unit_tables: list[pa.Table],
    understood_tables: list[pa.Table],
    result: UnderstandRunResult,
) -> None:
    """Replace the units and understood rows of the processed items, and remove those of items
    no longer in the store; counts the units in ``result``."""
    # in unit-id order, whichever order the chunks finished in
    new_units = pa.concat_tables([UNITS.empty_table(), *unit_tables]).sort_by("unit_id")
    understood = pa.concat_tables([UNDERSTOOD.empty_table(), *understood_tables])
    understood = understood.sort_by("item_id")
    # the processed items' old rows go, and those of items no longer in the store
    by_source: dict[str, list[str]] = {}
    orphans = plan.done[~plan.done["item_id"].isin(plan.items["item_id"])]
    for frame in (plan.todo, orphans):
        for source_name, item_id in zip(frame["source_name"], frame["item_id"], strict=True):
            by_source.setdefault(source_name, []).append(item_id)
    counts = writer.replace_items("units", new_units, by_source)
    result.units_written, result.units_removed = counts["inserted"], counts["removed"]
    writer.replace_items("understood", understood, by_source)


def _manifest(
    result: UnderstandRunResult,
    stage: UnderstandStage,
    version: str,
    now: datetime,
    config_hash: str,
) -> dict[str, Any]:
    """The run's manifest, as committed."""
    return {
        "kind": "understand",
        "silobridge_version": __version__,
        "started_at": now.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "outcome": "ok",
        "config_hash": config_hash,
        "understand_version": version,
        "model_id": stage.embedder_.model_id,
        "counts": {k: v for k, v in result.to_dict().items() if k.startswith(("items_", "units_"))}
        | {"stats": dict(result.stats)},
        "rolled_back": {k: list(v) for k, v in result.rolled_back.items()},
        "timings": result.timings,
    }


def _reembed_stale(writer: StoreWriter, stage: UnderstandStage, skip: set[str]) -> int:
    """Re-embed stored units whose model is not the stage's (and score their substance again);
    returns how many."""
    model_id = stage.embedder_.model_id
    models = writer.read("units", columns=["model_id"]).column("model_id")
    if not pc.any(pc.not_equal(models, model_id)).as_py():
        return 0  # the usual case: read nothing more (np.isin on strings is O(n * m))
    units = writer.read("units")
    other_model = pc.not_equal(units.column("model_id"), model_id)
    processed = pc.is_in(units.column("item_id"), value_set=pa.array(sorted(skip), pa.string()))
    stale = np.flatnonzero(
        pc.and_(other_model, pc.invert(processed)).to_numpy(zero_copy_only=False)
    )
    if not stale.size:
        return 0
    rows = units.take(pa.array(stale))
    texts = rows.column("text").to_pylist()
    vectors = embed(texts, embedder=stage.embedder_, cache=stage.cache).vectors
    keys = [cache_key(model_id, t) for t in texts]
    # substance is read from the vectors: scored again, or unknown for a model it was not
    # trained on (the voice of a unit stays what it was decided to be)
    scores = substance_scores(vectors, texts, model_id)
    substance = pa.array(
        [round(float(v), 4) for v in scores] if scores is not None else [None] * len(texts),
        pa.float64(),
    )
    rows = rows.set_column(rows.schema.get_field_index("substance"), "substance", substance)
    rows = rows.set_column(
        rows.schema.get_field_index("embedding_key"), "embedding_key", pa.array(keys)
    )
    rows = rows.set_column(
        rows.schema.get_field_index("model_id"), "model_id", pa.array([model_id] * len(keys))
    )
    writer.upsert("units", rows)
    return len(keys)
