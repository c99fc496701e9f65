"""Seeded corruption of every connector's fixtures: no crash, nothing lost.

Each case copies a connector's v1 fixture, corrupts one file (a record's field set to a value of
the wrong type, bytes cut, invalid UTF-8 or NUL bytes inserted, a quote or bracket dropped) and
ingests it. Whatever the damage: no exception escapes, and every record read is accounted for
(stored, quarantined, or a duplicate of a stored one).
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
import silobridge
from silobridge.extractors import all_connectors
from silobridge.pipeline.ingest import run_ingest

from .conftest import fixture_case, make_source

CASES_PER_CONNECTOR = 30
JUNK: list[Any] = [
    None, 0, -1, 1.5e308, "", " ", "x" * 5000, [], {}, True, "2026-13-45T99:00:00Z",
    {"nested": [1, {"a": None}]}, ["a", 1, None], "<script>alert(1)</script>", "\u202eRTL",
]  # fmt: skip


def _dicts(node: Any, found: list[dict]) -> list[dict]:
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            _dicts(value, found)
    elif isinstance(node, list):
        for value in node:
            _dicts(value, found)
    return found


def _corrupt_json_value(text: str, rng: random.Random) -> str | None:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        return None
    dicts = [d for d in _dicts(doc, []) if d]
    if not dicts:
        return None
    for _ in range(rng.randint(1, 3)):
        target = rng.choice(dicts)
        key = rng.choice(sorted(target))
        target[key] = rng.choice(JUNK)
    return json.dumps(doc, ensure_ascii=False)


def _corrupt_bytes(data: bytes, rng: random.Random) -> bytes:
    kind = rng.choice(["truncate", "insert_invalid", "insert_nul", "drop_char", "dup_range"])
    at = rng.randrange(max(len(data), 1))
    if kind == "truncate":
        return data[:at]
    if kind == "insert_invalid":
        return data[:at] + rng.choice([b"\xff\xfe", b"\xc3", b"\xe2\x82", b"\x80"]) + data[at:]
    if kind == "insert_nul":
        return data[:at] + b"\x00" + data[at:]
    if kind == "drop_char":
        candidates = [i for i, b in enumerate(data) if b in b'"{}[],\n:']
        if candidates:
            i = rng.choice(candidates)
            return data[:i] + data[i + 1 :]
        return data[:at]
    end = min(len(data), at + rng.randint(1, 200))
    return data[:end] + data[at:end] + data[end:]


def _mutate(folder: Path, rng: random.Random) -> str:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    target = rng.choice(files)
    data = target.read_bytes()
    if target.suffix in (".json", ".jsonl") and rng.random() < 0.5:
        if target.suffix == ".jsonl":
            lines = data.decode("utf-8", "replace").splitlines()
            i = rng.randrange(len(lines)) if lines else 0
            if lines:
                new = _corrupt_json_value(lines[i], rng)
                if new is not None:
                    lines[i] = new
                    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
                    return f"{target.name}: value types (line {i + 1})"
        else:
            new = _corrupt_json_value(data.decode("utf-8", "replace"), rng)
            if new is not None:
                target.write_text(new, encoding="utf-8")
                return f"{target.name}: value types"
    target.write_bytes(_corrupt_bytes(data, rng))
    return f"{target.name}: bytes"


@pytest.mark.slow
@pytest.mark.parametrize("connector", sorted(all_connectors()))
def test_fuzz_corrupted_exports_never_crash_and_lose_nothing(connector: str, tmp_path: Path):
    case = fixture_case(connector)
    rng = random.Random(f"fuzz-{connector}")
    sources, damage = [], {}
    for i in range(CASES_PER_CONNECTOR):
        work = tmp_path / f"case{i}"
        src = case["path"]
        if src.is_dir():
            shutil.copytree(src, work)
            path = work
        else:
            work.mkdir()
            path = work / src.name
            shutil.copy(src, path)
        damage[f"case{i}"] = _mutate(work, rng)
        sources.append(make_source(connector, path, name=f"case{i}", **case["options"]))
    # one run over all damaged copies: each is its own source, counted on its own
    result = run_ingest(tmp_path / "store", sources)
    store = silobridge.open_store(tmp_path / "store")
    stored = store.items(columns=["source_name"])["source_name"].value_counts()
    quarantined = store.quarantine()["source_name"].value_counts()
    for name, counts in result.sources.items():
        where = f"{name} ({damage[name]})"
        assert counts.read == stored.get(name, 0) + counts.quarantined + counts.duplicate, where
        assert counts.quarantined == quarantined.get(name, 0), where
        assert counts.read == counts.new + counts.duplicate + counts.quarantined, where
