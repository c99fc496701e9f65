"""The canonical tables' Arrow schemas (documented in ``docs/schema.md``).

The store enforces these on every write: a column of the wrong type fails the commit instead of
landing, and a later stage reads the same types whatever connector wrote the rows.
"""

from __future__ import annotations

import pyarrow as pa

UTC_TS = pa.timestamp("us", tz="UTC")

PART = pa.struct(
    [
        pa.field("speaker", pa.string()),
        pa.field("role", pa.string()),
        pa.field("timestamp", UTC_TS),
        pa.field("text", pa.string()),
    ]
)

ITEMS = pa.schema(
    [
        pa.field("item_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("source_name", pa.string(), nullable=False),
        pa.field("source_path", pa.string(), nullable=False),
        pa.field("native_id", pa.string(), nullable=False),
        pa.field("function", pa.string()),
        pa.field("channel", pa.string(), nullable=False),
        pa.field("title", pa.string()),
        pa.field("text", pa.string(), nullable=False),
        pa.field("parts", pa.list_(PART)),
        pa.field("account", pa.string()),
        pa.field("created_at", UTC_TS),
        pa.field("updated_at", UTC_TS),
        pa.field("metadata", pa.string()),
        pa.field("raw", pa.string()),
        pa.field("record_hash", pa.string(), nullable=False),
        pa.field("ingested_at", UTC_TS, nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
    ]
)

QUARANTINE = pa.schema(
    [
        pa.field("quarantine_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("source_name", pa.string(), nullable=False),
        pa.field("source_path", pa.string(), nullable=False),
        pa.field("locator", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("raw", pa.string()),
        pa.field("first_run_id", pa.string(), nullable=False),
        pa.field("last_run_id", pa.string(), nullable=False),
        pa.field("first_seen_at", UTC_TS, nullable=False),
        pa.field("last_seen_at", UTC_TS, nullable=False),
    ]
)

# What the ingest stage has read: lets a nightly run skip export files that did not change.
FILES = pa.schema(
    [
        pa.field("source_name", pa.string(), nullable=False),
        pa.field("source_path", pa.string(), nullable=False),
        pa.field("size", pa.int64(), nullable=False),
        pa.field("mtime_ns", pa.int64(), nullable=False),
        pa.field("sha256", pa.string(), nullable=False),
        pa.field("config_hash", pa.string(), nullable=False),
        pa.field("records", pa.int64(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("read_at", UTC_TS, nullable=False),
    ]
)

ENTITY = pa.struct(
    [
        pa.field("type", pa.string()),
        pa.field("id", pa.string()),
        pa.field("text", pa.string()),
        pa.field("start", pa.int32()),
        pa.field("end", pa.int32()),
    ]
)

# Insight units: what the understand stage keeps of each item, safe to show to any function.
UNITS = pa.schema(
    [
        pa.field("unit_id", pa.string(), nullable=False),
        pa.field("item_id", pa.string(), nullable=False),
        pa.field("source_name", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("function", pa.string()),
        pa.field("channel", pa.string(), nullable=False),
        pa.field("account", pa.string()),
        pa.field("created_at", UTC_TS),
        pa.field("position", pa.int32(), nullable=False),
        pa.field("part_index", pa.int32()),
        pa.field("start", pa.int32(), nullable=False),
        pa.field("end", pa.int32(), nullable=False),
        pa.field("role", pa.string(), nullable=False),
        pa.field("speaker_key", pa.string()),
        pa.field("timestamp", UTC_TS),
        pa.field("text", pa.string(), nullable=False),
        pa.field("redacted", pa.list_(pa.string())),
        pa.field("entities", pa.list_(ENTITY)),
        pa.field("embedding_key", pa.string(), nullable=False),
        pa.field("model_id", pa.string(), nullable=False),
        # customer / relayed / internal / bot, and the probability that the unit has substance
        # (pipeline/understand/voice.py); added in understand.v4: null in older rows
        pa.field("voice", pa.string()),
        pa.field("substance", pa.float64()),
        pa.field("item_hash", pa.string(), nullable=False),
        pa.field("version", pa.string(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
    ]
)

DROPPED = pa.struct(
    [
        pa.field("part_index", pa.int32()),
        pa.field("start", pa.int32()),
        pa.field("end", pa.int32()),
        pa.field("rule", pa.string()),
    ]
)

# One row per item the understand stage has processed, with or without units: what makes the
# stage incremental, and the record of what was dropped and why.
UNDERSTOOD = pa.schema(
    [
        pa.field("item_id", pa.string(), nullable=False),
        pa.field("source_name", pa.string(), nullable=False),
        pa.field("item_hash", pa.string(), nullable=False),
        pa.field("version", pa.string(), nullable=False),
        pa.field("units", pa.int32(), nullable=False),
        pa.field("dropped", pa.list_(DROPPED)),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("processed_at", UTC_TS, nullable=False),
    ]
)

THEME_LABEL = pa.struct([pa.field("id", pa.string()), pa.field("probability", pa.float64())])

# One row per unit: its labels, with the algorithm that made each (the classify stage).
CLASSIFIED = pa.schema(
    [
        pa.field("unit_id", pa.string(), nullable=False),
        pa.field("item_id", pa.string(), nullable=False),
        pa.field("source_name", pa.string(), nullable=False),
        pa.field("themes", pa.list_(THEME_LABEL)),
        pa.field("theme", pa.string()),
        pa.field("theme_probability", pa.float64()),
        pa.field("insight_type", pa.string(), nullable=False),
        pa.field("insight_probability", pa.float64()),
        pa.field("sentiment", pa.string(), nullable=False),
        pa.field("sentiment_score", pa.float64()),
        pa.field("function", pa.string()),
        pa.field("function_source", pa.string(), nullable=False),
        pa.field("function_probability", pa.float64()),
        pa.field("theme_algorithm", pa.string(), nullable=False),
        pa.field("insight_algorithm", pa.string(), nullable=False),
        pa.field("sentiment_algorithm", pa.string(), nullable=False),
        pa.field("function_algorithm", pa.string(), nullable=False),
        pa.field("taxonomy_hash", pa.string(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
    ]
)

# One row per unit that theme discovery looked at: the discovered theme it belongs to, if any.
DISCOVERED = pa.schema(
    [
        pa.field("unit_id", pa.string(), nullable=False),
        pa.field("item_id", pa.string(), nullable=False),
        pa.field("source_name", pa.string(), nullable=False),
        pa.field("theme_id", pa.string()),
        pa.field("similarity", pa.float64()),
        pa.field("assigned_by", pa.string(), nullable=False),
        pa.field("algorithm", pa.string(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
    ]
)

# The theme registry: every discovered theme ever, never deleted, so an id is never reused.
THEMES = pa.schema(
    [
        pa.field("theme_id", pa.string(), nullable=False),
        pa.field("label", pa.string(), nullable=False),
        pa.field("label_source", pa.string(), nullable=False),
        pa.field("terms", pa.list_(pa.string())),
        pa.field("representatives", pa.list_(pa.string())),
        pa.field("size", pa.int64(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("merged_into", pa.string()),
        pa.field("split_from", pa.string()),
        pa.field("promoted_to", pa.string()),
        pa.field("radius", pa.float64()),
        pa.field("centroid", pa.list_(pa.float32())),
        pa.field("model_id", pa.string(), nullable=False),
        pa.field("first_run_id", pa.string(), nullable=False),
        pa.field("last_run_id", pa.string(), nullable=False),
        pa.field("group_id", pa.string()),
    ]
)

# The groups of discovered themes (the upper of their two levels): every group ever, never
# deleted, so an id is never reused.
THEME_GROUPS = pa.schema(
    [
        pa.field("group_id", pa.string(), nullable=False),
        pa.field("label", pa.string(), nullable=False),
        pa.field("terms", pa.list_(pa.string())),
        pa.field("themes", pa.list_(pa.string())),
        pa.field("size", pa.int64(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("first_run_id", pa.string(), nullable=False),
        pa.field("last_run_id", pa.string(), nullable=False),
    ]
)

# What happened to themes, run by run: created, merged, split, retired, renamed, promoted.
THEME_EVENTS = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("at", UTC_TS, nullable=False),
        pa.field("event", pa.string(), nullable=False),
        pa.field("theme_id", pa.string(), nullable=False),
        pa.field("other_ids", pa.list_(pa.string())),
        pa.field("detail", pa.string()),
    ]
)

TABLES: dict[str, pa.Schema] = {
    "items": ITEMS,
    "quarantine": QUARANTINE,
    "files": FILES,
    "units": UNITS,
    "understood": UNDERSTOOD,
    "classified": CLASSIFIED,
    "discovered": DISCOVERED,
    "themes": THEMES,
    "theme_groups": THEME_GROUPS,
    "theme_events": THEME_EVENTS,
}

# Keys: a row with the same key replaces the stored one. The tables of source data are
# partitioned by source_name, which leads their keys; the theme registry and its events span
# sources and are rewritten whole.
KEYS: dict[str, tuple[str, ...]] = {
    "items": ("source_name", "native_id"),
    "quarantine": ("source_name", "quarantine_id"),
    "files": ("source_name", "source_path"),
    "units": ("source_name", "unit_id"),
    "understood": ("source_name", "item_id"),
    "classified": ("source_name", "unit_id"),
    "discovered": ("source_name", "unit_id"),
    "themes": ("theme_id",),
    "theme_groups": ("group_id",),
    "theme_events": ("run_id", "event", "theme_id"),
}

PARTITIONS: dict[str, list[str]] = {
    name: [] if name in ("themes", "theme_groups", "theme_events") else ["source_name"]
    for name in TABLES
}
