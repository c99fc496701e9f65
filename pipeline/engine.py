"""Where the row-wise stages run: in this process (``local``) or on a Ray cluster (``ray``).

The ``[execution]`` table of ``silobridge.toml`` (or ``--engine``) picks the engine::

    [execution]
    engine = "ray"              # "local" (default) or "ray"
    address = "auto"            # a running cluster ("auto", "ray://head:10001"); unset: start
                                # a Ray on this machine for the job
    workers = 4                 # actors per stage (default: the cluster's CPUs less one, for
                                # reading, divided by cpus_per_worker)
    cpus_per_worker = 1         # CPUs (and torch threads) per actor
    batch_items = 2000          # items per understand batch (labels go in blocks of 4,096 units)
    object_store_mb = 1024      # object store of a Ray started here (unset: 1,024 MB)

With ``ray``, the stages whose work is independent per row run as Ray Data ``map_batches`` on a
pool of actors, each loading its models once:

* **understand** (segmentation, redaction, entities, embeddings): the items are read by Ray from
  the store's ``items`` Delta table (:func:`ray.data.read_delta`, at the version of the store's
  last finished run); the actors return units and new vectors, which the driver writes;
* **classify** (labels): the driver fits what needs all units (prototypes, the sentiment
  scorer's self-training, the function classifier), then actors label blocks of units.

Ingest, discovery (clustering) and the report stay on the driver: they work on files, vectors
and aggregates. Only the driver writes the store, in the same runs and commits as the local
engine, so the store's layout, the report and the notebooks do not depend on the engine, and
the same store gives the same units, labels and themes on either engine (each unit's results
depend only on the unit; see :func:`silobridge.pipeline.embed._same_length_groups` and
:meth:`silobridge.pipeline.classify.ClassifyStage.predict`).

Ray is an optional dependency (``pip install 'silobridge[ray]'``); nothing here imports it
until the ``ray`` engine runs.
"""

from __future__ import annotations

import logging
import math
import os
import pickle
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..config import LOCAL, Execution
from ..errors import ConfigError

if TYPE_CHECKING:  # the CLI imports this module at start-up: it stays light
    import numpy as np
    import pandas as pd
    import pyarrow as pa

log = logging.getLogger(__name__)

RAY_EXTRA = "pip install 'silobridge[ray]'"


def resolve(execution: Execution | None, engine: str | None) -> Execution:
    """The settings a run uses: ``execution`` (the config's; default local) with ``engine``
    (``--engine``) instead, when given. Raises :class:`ConfigError` for an unknown engine, or
    for ``ray`` when Ray is not installed, before anything runs."""
    resolved = (execution or LOCAL).with_engine(engine)
    if resolved.is_ray:
        import_ray()
    return resolved


def import_ray() -> Any:
    """Ray, or a :class:`ConfigError` that says how to install it."""
    try:
        import ray  # deferred: optional extra (ray)
        import ray.data  # deferred: optional extra (ray)
    except ImportError as e:
        raise ConfigError(
            f"The ray engine needs Ray, which is not installed ({e}). Install it with "
            f"{RAY_EXTRA}, or run with --engine local."
        ) from None
    return ray


@contextmanager
def ray_session(execution: Execution) -> Iterator[int]:
    """Ray for the length of the block: yields the number of workers per stage.

    Reuses a Ray already initialised in this process (a notebook's, or the job's); otherwise
    connects to ``execution.address`` or starts a Ray on this machine with a CPU for each
    worker plus one for reading, and shuts down what it started.
    """
    ray = import_ray()
    started = False
    if not ray.is_initialized():
        env = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        common = {
            "include_dashboard": False,
            "log_to_driver": False,
            "logging_level": logging.ERROR,
            "runtime_env": {"env_vars": env},
        }
        if execution.address:
            ray.init(address=execution.address, **common)
        else:
            workers = execution.workers or max(
                1, int((os.cpu_count() or 1) // execution.cpus_per_worker)
            )
            ray.init(
                num_cpus=math.ceil(workers * execution.cpus_per_worker) + 1,
                object_store_memory=(execution.object_store_mb or 1024) * 2**20,
                **common,
            )
        started = True
    try:
        _quiet_ray_data()
        yield _workers(ray, execution)
    finally:
        if started:
            ray.shutdown()


def _quiet_ray_data() -> None:
    import ray.data  # deferred: optional extra (ray)

    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _workers(ray: Any, execution: Execution) -> int:
    """Workers per stage; one CPU of the cluster stays free for Ray Data's read tasks."""
    cpus = float(ray.cluster_resources().get("CPU", 0))
    fit = int((cpus - 1) // execution.cpus_per_worker)
    if execution.workers is None and fit >= 1:
        return fit
    if execution.workers is None or execution.workers > fit:
        workers = execution.workers or 1
        raise ConfigError(
            f"{workers} workers of {execution.cpus_per_worker:g} CPUs need "
            f"{workers * execution.cpus_per_worker + 1:g} CPUs (one for reading), "
            f"but the Ray cluster has {cpus:g}: lower [execution] workers or cpus_per_worker.",
            key="execution.workers",
        )
    return execution.workers


def _pool(ray: Any, workers: int) -> Any:
    return ray.data.ActorPoolStrategy(size=workers)


# ------------------------------------------------------------------------------ understand


class _CollectingCache:
    """An embedding cache that reads the store's cache and keeps new vectors to return.

    Workers never write the store: their new vectors go back to the driver, which appends
    them to the cache in the run.
    """

    def __init__(self, path: str):
        from .store.cache import EmbeddingCache  # deferred: numpy, deltalake; the CLI imports this

        self.cache = EmbeddingCache(path)
        self.keys: list[str] = []
        self.vectors: list[np.ndarray] = []

    def lookup(self, keys: list[str], *, model_id: str) -> tuple[np.ndarray, np.ndarray]:
        return self.cache.lookup(keys, model_id=model_id)

    def put(self, keys: list[str], vectors: np.ndarray, *, model_id: str) -> int:
        import numpy as np  # deferred: the CLI imports this module at start-up

        self.keys.extend(keys)
        self.vectors.append(np.asarray(vectors, dtype=np.float32))
        return 0

    def take(self) -> tuple[list[str], np.ndarray]:
        import numpy as np  # deferred: the CLI imports this module at start-up

        keys = self.keys
        vectors = np.vstack(self.vectors) if self.vectors else np.empty((0, 0), np.float32)
        self.keys, self.vectors = [], []
        return keys, vectors


class UnderstandWorker:
    """A Ray actor of the understand stage: its models load once, on its first batch."""

    def __init__(
        self,
        *,
        process: Callable[..., Any],
        stage: Any,
        todo: set[str],
        cache_path: str,
        context: dict[str, Any],
    ):
        self.process = process
        self.stage = stage
        self.cache = _CollectingCache(cache_path)
        self.stage.cache = self.cache
        self.todo = todo
        self.context = context

    def __call__(self, batch: pa.Table) -> dict[str, list[Any]]:
        items = batch.to_pandas()
        items = items[items["item_id"].isin(self.todo)].reset_index(drop=True)
        chunk = self.process(self.stage, items, **self.context)
        chunk.cache_keys, chunk.cache_vectors = self.cache.take()
        return {"chunk": [pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL)]}


def understand_chunks(
    store: Any,
    stage: Any,
    todo: set[str],
    *,
    process: Callable[..., Any],
    columns: list[str],
    context: dict[str, Any],
    execution: Execution,
) -> Iterator[Any]:
    """The understand stage's chunks computed on Ray, as they finish (in no particular order).

    ``process(stage, items, **context)`` is the stage's work on one chunk of items
    (:func:`~.understand.analyze.process_chunk`): the engine runs whatever it is given and
    imports no stage.
    """
    ray = import_ray()
    if not todo:
        return
    with ray_session(execution) as workers:
        version = store.committed_versions()["items"]
        items = ray.data.read_delta(
            str(store.table_path("items")), version=version, columns=columns
        )
        results = items.map_batches(
            UnderstandWorker,
            fn_constructor_kwargs={
                "process": process,
                "stage": stage,
                "todo": todo,
                "cache_path": str(store.embeddings_path),
                "context": context,
            },
            batch_size=execution.batch_items,
            batch_format="pyarrow",
            compute=_pool(ray, workers),
            num_cpus=execution.cpus_per_worker,
        )
        for row in results.iter_rows():
            yield pickle.loads(row["chunk"])


# ---------------------------------------------------------------------------------- labels


class LabelWorker:
    """A Ray actor of the classify stage: labels whole blocks with the driver's fitted stage."""

    def __init__(self, *, stage: Any):
        self.stage = stage

    def __call__(self, batch: pa.Table) -> dict[str, list[Any]]:
        import numpy as np  # deferred: the CLI imports this module at start-up
        import pyarrow.compute as pc  # deferred: the CLI imports this module at start-up

        out = []
        blocks = batch.column("block").to_numpy()
        for block in np.unique(blocks):
            rows = batch.filter(pc.equal(batch.column("block"), block))
            expected = rows.column("block_rows")[0].as_py()
            if rows.num_rows != expected:
                raise RuntimeError(
                    f"label block {block} reached a worker split ({rows.num_rows} of {expected} "
                    "rows); its labels would depend on the split."
                )
            vectors = _vectors(rows.column("vector"))
            units = rows.drop_columns(["vector", "block", "block_rows"]).to_pandas()
            labels = self.stage.predict(units, vectors)
            out.append((int(block), labels))
        return {"labels": [pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL)]}


def _vectors(column: pa.ChunkedArray) -> np.ndarray:
    array = column.combine_chunks()
    dim = array.type.list_size
    return array.flatten().to_numpy(zero_copy_only=False).reshape(len(array), dim)


def label_blocks(
    stage: Any, units: pd.DataFrame, vectors: np.ndarray, *, block: int, execution: Execution
) -> pd.DataFrame:
    """Labels of ``units`` (in order) from actors, block by block, with a fitted ``stage``."""
    import numpy as np  # deferred: the CLI imports this module at start-up
    import pandas as pd  # deferred: the CLI imports this module at start-up
    import pyarrow as pa  # deferred: the CLI imports this module at start-up

    ray = import_ray()
    with ray_session(execution) as workers:
        tables = []
        for k, start in enumerate(range(0, len(units), block)):
            part = units.iloc[start : start + block]
            table = pa.Table.from_pandas(part, preserve_index=False)
            flat = pa.array(np.ascontiguousarray(vectors[start : start + block]).ravel())
            table = table.append_column(
                "vector", pa.FixedSizeListArray.from_arrays(flat, vectors.shape[1])
            )
            table = table.append_column("block", pa.array([k] * len(part), pa.int64()))
            table = table.append_column("block_rows", pa.array([len(part)] * len(part)))
            tables.append(table)
        dataset = ray.data.from_arrow(tables).map_batches(
            LabelWorker,
            fn_constructor_kwargs={"stage": stage},
            batch_size=None,
            batch_format="pyarrow",
            compute=_pool(ray, min(workers, len(tables))),
            num_cpus=execution.cpus_per_worker,
        )
        found: dict[int, pd.DataFrame] = {}
        for row in dataset.iter_rows():
            found.update(pickle.loads(row["labels"]))
    missing = sorted(set(range(len(tables))) - set(found))
    if missing:
        raise RuntimeError(f"Ray returned no labels for blocks {missing}.")
    return pd.concat([found[k] for k in range(len(tables))], ignore_index=True)
