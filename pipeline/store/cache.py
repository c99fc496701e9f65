"""The embedding cache: vectors by (model id, text hash), in a Delta table that only grows.

One row per ``key`` (sha256 of the model id and the text): a text already embedded by the same
model is never encoded again. The table holds hashes and vectors, never the text itself.
:mod:`silobridge.pipeline.embed` computes the vectors; this module only keeps them.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from deltalake import CommitProperties, DeltaTable, WriterProperties, write_deltalake
from deltalake.exceptions import DeltaError, TableNotFoundError

from ...errors import StoreError

#: Arrow schema of the cache table. Delta Lake has no fixed-size array type (a
#: ``fixed_size_list`` is stored as a list anyway), so vectors are ``list<float32>``: one table
#: can hold models of different dimensions, with ``dim`` stored beside each vector.
CACHE_SCHEMA = pa.schema(
    [
        pa.field("key", pa.string(), nullable=False),
        pa.field("model_id", pa.string(), nullable=False),
        pa.field("dim", pa.int32(), nullable=False),
        pa.field("vector", pa.list_(pa.float32()), nullable=False),
        pa.field("created_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)


def cache_key(model_id: str, text: str) -> str:
    """The cache key of ``text`` under ``model_id``: sha256 of ``model_id + "\\0" + text``, hex."""
    return cache_keys(model_id, [text])[0]


def cache_keys(model_id: str, texts: Sequence[str]) -> list[str]:
    base = hashlib.sha256(model_id.encode("utf-8") + b"\0")
    keys = []
    for text in texts:
        digest = base.copy()
        digest.update(text.encode("utf-8", "surrogatepass"))
        keys.append(digest.hexdigest())
    return keys


class EmbeddingCache:
    """Vectors by (model id, text hash) in a Delta table that only grows by appends.

    One row per key: :meth:`put` reads which of its keys exist and appends only the others, in one
    commit. Two processes writing the same folder at once may both append a key; :meth:`get` then
    returns one of the (equal) vectors. The table holds no text, so it stores no personal data
    beyond what the vectors encode.

    Args:
        path: The table's folder (created by the first :meth:`put`).
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"EmbeddingCache({str(self.path)!r})"

    def _table(self) -> DeltaTable | None:
        try:
            return DeltaTable(str(self.path))
        except TableNotFoundError:
            if self.path.exists() and any(self.path.iterdir()):
                raise StoreError(
                    f"{self.path} is not a Delta table; give EmbeddingCache an empty folder or an "
                    "existing embeddings table."
                ) from None
            return None

    def _scan(self, columns: list[str], expr: pc.Expression | None = None) -> pa.Table:
        table = self._table()
        if table is None:
            return pa.table({c: pa.array([], CACHE_SCHEMA.field(c).type) for c in columns})
        try:
            return table.to_pyarrow_dataset().to_table(columns=columns, filter=expr)
        except (OSError, DeltaError, pa.ArrowInvalid) as e:
            raise StoreError(f"Cannot read the embedding cache {self.path}: {e}") from e

    def lookup(self, keys: Sequence[str], *, model_id: str) -> tuple[np.ndarray, np.ndarray]:
        """Find the vectors of ``keys`` that the cache holds for ``model_id``.

        Returns:
            ``(positions, vectors)``: for each vector found, its position in ``keys`` (int64), and
            the vectors as one float32 array of shape ``(len(positions), dim)``. A key stored
            twice (two writers at once) is returned once.
        """
        none = (np.empty(0, dtype=np.int64), np.empty((0, 0), dtype=np.float32))
        if not keys:
            return none
        wanted = pa.array(keys, pa.string())
        where = (pc.field("model_id") == model_id) & pc.field("key").isin(wanted)
        found = self._scan(["key", "dim", "vector"], where)
        if found.num_rows == 0:
            return none
        dims = pc.unique(found["dim"]).to_pylist()
        if len(dims) != 1:
            raise StoreError(f"{self.path} holds vectors of dimensions {dims} for {model_id!r}.")
        values = pc.list_flatten(found["vector"]).to_numpy()
        if values.size != found.num_rows * dims[0]:
            raise StoreError(f"{self.path}: a vector's length differs from its dim column.")
        vectors = values.astype(np.float32, copy=False).reshape(found.num_rows, dims[0])
        positions = pc.index_in(found["key"], value_set=wanted).to_numpy().astype(np.int64)
        positions, first = np.unique(positions, return_index=True)
        return positions, vectors[first]

    def get(self, keys: Sequence[str], *, model_id: str) -> dict[str, np.ndarray]:
        """Vectors of the ``keys`` the cache holds for ``model_id``, as ``{key: vector}``."""
        positions, vectors = self.lookup(keys, model_id=model_id)
        return {keys[p]: vector for p, vector in zip(positions, vectors, strict=True)}

    def existing(self, keys: Sequence[str], *, model_id: str) -> set[str]:
        """Which of ``keys`` the cache holds for ``model_id`` (reads keys only)."""
        if not keys:
            return set()
        found = self._scan(
            ["key"],
            (pc.field("model_id") == model_id) & pc.field("key").isin(pa.array(keys, pa.string())),
        )
        return set(found["key"].to_pylist())

    def put(self, keys: Sequence[str], vectors: np.ndarray, *, model_id: str) -> int:
        """Append the vectors of keys the cache does not hold yet, in one commit.

        Args:
            keys: Cache keys (see :func:`cache_key`), one per row of ``vectors``.
            vectors: Array of shape ``(len(keys), dim)``.
            model_id: The id of the model that computed them.

        Returns:
            The number of rows appended (0: nothing was written).
        """
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(keys):
            raise ValueError(
                f"vectors must have shape (len(keys), dim) = ({len(keys)}, dim). "
                f"Got {vectors.shape}."
            )
        first: dict[str, int] = {}
        for i, key in enumerate(keys):
            first.setdefault(key, i)
        have = self.existing(list(first), model_id=model_id)
        rows = [i for key, i in first.items() if key not in have]
        if not rows:
            return 0
        now = datetime.now(UTC)
        # list<float32> has int32 offsets: build batches small enough for them, commit once
        step = _MAX_BATCH_ROWS
        chunks = [rows[i : i + step] for i in range(0, len(rows), step)]
        batches = [_cache_batch([keys[i] for i in c], vectors[c], model_id, now) for c in chunks]
        table = pa.Table.from_batches(batches, schema=CACHE_SCHEMA)
        try:
            write_deltalake(
                str(self.path),
                table,
                mode="append",
                # float vectors barely compress; zstd still saves ~9% over snappy, and is as fast
                writer_properties=WriterProperties(compression="ZSTD"),
                commit_properties=CommitProperties(
                    custom_metadata={"silobridge.operation": "embed", "model_id": model_id}
                ),
            )
        except (OSError, DeltaError) as e:
            raise StoreError(f"Cannot append to the embedding cache {self.path}: {e}") from e
        return len(rows)

    def counts(self) -> dict[str, int]:
        """Rows per model id."""
        ids = self._scan(["model_id"])["model_id"]
        return {str(r["values"]): int(r["counts"]) for r in pc.value_counts(ids).to_pylist()}

    def __len__(self) -> int:
        table = self._table()
        return 0 if table is None else sum(self.counts().values())

    def compact(self) -> dict[str, Any]:
        """Rewrite the small files that one append per run leaves into fewer large ones.

        One commit; older versions keep their files until a vacuum. Returns delta-rs' metrics.
        """
        table = self._table()
        if table is None:
            return {}
        try:
            return dict(
                table.optimize.compact(writer_properties=WriterProperties(compression="ZSTD"))
            )
        except (OSError, DeltaError) as e:
            raise StoreError(f"Cannot compact the embedding cache {self.path}: {e}") from e


_MAX_BATCH_ROWS = 1_000_000


def _cache_batch(
    keys: list[str], vectors: np.ndarray, model_id: str, now: datetime
) -> pa.RecordBatch:
    n, dim = vectors.shape
    flat = pa.array(vectors.ravel(), pa.float32())
    offsets = pa.array(np.arange(0, (n + 1) * dim, dim, dtype=np.int32))
    return pa.RecordBatch.from_arrays(
        [
            pa.array(keys, pa.string()),
            pa.array([model_id] * n, pa.string()),
            pa.array(np.full(n, dim, dtype=np.int32)),
            pa.ListArray.from_arrays(offsets, flat),
            pa.array([now] * n, pa.timestamp("us", tz="UTC")),
        ],
        schema=CACHE_SCHEMA,
    )
