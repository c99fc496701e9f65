"""Labelled units for few-shot themes: ``silobridge label import``.

A CSV of texts and theme ids is checked against the taxonomy (an unknown theme is an error
naming the line, with the closest ids), redacted like units are (the file may hold personal
data; the store keeps only redacted text), merged with the labels already imported (a text
labelled twice with the same theme is kept once) and written atomically to
``STORE/labels/themes.parquet``. The classify stage then trains its theme classifier on them.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import ConfigError
from .evaluate import read_labelled
from .taxonomy import Taxonomy

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


def import_theme_labels(
    store_root: str | Path,
    path: str | Path,
    *,
    taxonomy: Taxonomy,
    text_col: str = "text",
    label_col: str = "theme",
    redactor: Any = None,
) -> dict[str, int]:
    """Check, redact and add labelled texts; returns ``{"added", "already", "total"}``.

    Raises:
        ConfigError: naming the file and line of a label that is not a leaf theme id.
    """
    from ..pipeline.entities import gazetteer_names
    from ..pipeline.redact import Redactor

    data = read_labelled(path, text_col=text_col, label_col=label_col)
    leaves = [t.id for t in taxonomy.leaves]
    for line, label in enumerate(data.labels, start=2):
        if label not in leaves:
            close = difflib.get_close_matches(label, leaves, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ConfigError(
                f"{data.path}: line {line}: {label!r} is not a theme id of {taxonomy.path}{hint}"
            )
    redactor = redactor or Redactor(
        allow_list=[*gazetteer_names(taxonomy.gazetteer), *taxonomy.company]
    )
    texts = [r.text for r in redactor.redact_many(data.texts)]
    new = pd.DataFrame(
        {
            "text": texts,
            "theme": data.labels,
            "source_file": Path(path).name,
            "imported_at": datetime.now(UTC),
        }
    )
    old = theme_labels(store_root)
    merged = pd.concat([old, new], ignore_index=True).drop_duplicates(["text", "theme"])
    target = Path(store_root) / FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".parquet")
    os.close(fd)
    try:
        pq.write_table(pa.Table.from_pandas(merged, preserve_index=False).cast(SCHEMA), tmp)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return {"added": len(merged) - len(old), "already": len(new) - (len(merged) - len(old)),
            "total": len(merged)}  # fmt: skip
