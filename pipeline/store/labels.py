"""Labelled texts for few-shot themes, kept in ``STORE/labels/themes.parquet``.

The file is written only here, in a run of its own (the store's lock and a run manifest, like
every other write), atomically; :func:`silobridge.pipeline.classify.import_labels` checks and
redacts what comes in, and the classify stage trains its theme classifier on what is kept.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .store import Store, new_run_id

FILE = Path("labels") / "themes.parquet"
SCHEMA = pa.schema(
    [
        pa.field("text", pa.string(), nullable=False),
        pa.field("theme", pa.string(), nullable=False),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("imported_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)


def theme_labels(store_root: str | Path) -> pd.DataFrame:
    """The imported labels (``text``, ``theme``, ``source_file``, ``imported_at``)."""
    path = Path(store_root) / FILE
    if not path.exists():
        return SCHEMA.empty_table().to_pandas()
    return pq.read_table(path).to_pandas()


def add_theme_labels(store: Store | str | Path, new: pd.DataFrame) -> dict[str, int]:
    """Merge ``new`` labels (``text``, ``theme``, ``source_file``) into the store's labels file,
    as one run; a text labelled twice with the same theme is kept once.

    Returns:
        ``{"added", "already", "total"}``.

    Raises:
        StoreLockedError: if a job or another run holds the store.
    """
    store = store if isinstance(store, Store) else Store.open(store, create=True)
    now = datetime.now(UTC)
    run_id = new_run_id(now)
    new = new.assign(imported_at=now)[list(SCHEMA.names)]
    with store.writing(run_id) as writer:
        old = theme_labels(store.root)
        merged = pd.concat([old, new], ignore_index=True).drop_duplicates(["text", "theme"])
        target = store.root / FILE
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".parquet")
        os.close(fd)
        try:
            table = pa.Table.from_pandas(merged, preserve_index=False).cast(SCHEMA)
            pq.write_table(table, tmp)
            os.replace(tmp, target)
        finally:
            Path(tmp).unlink(missing_ok=True)
        added = len(merged) - len(old)
        counts = {"added": added, "already": len(new) - added, "total": len(merged)}
        writer.commit({"stage": "labels", "kind": "labels", "counts": counts})
    return counts
