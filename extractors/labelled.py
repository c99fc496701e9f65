"""Labelled files: texts with a label column (``silobridge label import``, ``silobridge eval``),
and label descriptions (JSON or YAML). Errors name the file, the column or the line.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import ConfigError
from .text import load_yaml, yaml_error_reason


@dataclass
class Labelled:
    """Texts and their labels, read from a file."""

    texts: list[str]
    labels: list[str]
    path: Path


def read_labelled(path: str | Path, *, text_col: str, label_col: str) -> Labelled:
    """Rows of a CSV file with a text and a label column; empty texts or labels are errors.

    Raises:
        ConfigError: naming the file, the missing column, or the row of an empty value.
    """
    path = Path(path)
    try:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            columns = reader.fieldnames or []
            for col in (text_col, label_col):
                if col not in columns:
                    raise ConfigError(
                        f"{path}: no column {col!r}; columns: {', '.join(columns) or 'none'}"
                    )
            texts, labels = [], []
            for n, row in enumerate(reader, start=2):
                text, label = (row.get(text_col) or "").strip(), (row.get(label_col) or "").strip()
                if not text or not label:
                    raise ConfigError(
                        f"{path}: line {n}: empty {text_col if not text else label_col}"
                    )
                texts.append(text)
                labels.append(label)
    except OSError as e:
        raise ConfigError(f"cannot read {path}: {e}") from e
    if not texts:
        raise ConfigError(f"{path}: no rows")
    return Labelled(texts, labels, path)


def read_texts(path: str | Path, *, text_col: str) -> list[str]:
    """The non-empty texts of a CSV column (for self-training; any label column is ignored)."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            if text_col not in (reader.fieldnames or []):
                raise ConfigError(
                    f"{path}: no column {text_col!r}; columns: {', '.join(reader.fieldnames or [])}"
                )
            return [t.strip() for row in reader if (t := row.get(text_col) or "").strip()]
    except OSError as e:
        raise ConfigError(f"cannot read {path}: {e}") from e


def read_descriptions(path: str | Path) -> dict[str, list[str]]:
    """A mapping label -> description (or a list of descriptions), from JSON or YAML.

    YAML is read without aliases (see :class:`~silobridge.extractors.text.SafeYAMLLoader`).

    Raises:
        ConfigError: naming the file (and the line of a YAML error).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else load_yaml(text)
    except yaml.YAMLError as e:
        raise ConfigError(
            f"cannot read the label descriptions {path}: {yaml_error_reason(e)}"
        ) from e
    except (OSError, ValueError, RecursionError) as e:
        raise ConfigError(f"cannot read the label descriptions {path}: {e}") from e
    if not isinstance(data, dict) or not data:
        raise ConfigError(f"{path}: must map each label to a description")
    out: dict[str, list[str]] = {}
    for label, value in data.items():
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ConfigError(f"{path}: {label}: the description must be a string or a list")
        out[str(label)] = [v for v in values if v.strip()]
    return out
