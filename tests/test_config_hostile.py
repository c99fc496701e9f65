"""Hostile and broken settings files: every error names the file it is about (and the line, in a
YAML file), and a YAML alias bomb is refused before it expands."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from silobridge.config import load_config
from silobridge.errors import ConfigError
from silobridge.taxonomy import add_theme, load_taxonomy

SOURCE = '[sources.t]\nconnector = "notes"\npath = "exports"\n'

#: Bad silobridge.toml files, one mistake each (the key the error must name, then the text).
BAD_CONFIGS = {
    "invalid TOML": (None, "[sources.t\n"),
    "not UTF-8": (None, b"\xff\xfe[store]\n"),
    "unknown top key": ("stor", '[stor]\npath = "x"\n'),
    "store not a table": ("store", 'store = "x"\n'),
    "retention": ("store.retention_days", "[store]\nretention_days = -1\n"),
    "store path NUL": ("store.path", '[store]\npath = "a\\u0000b"\n'),
    "taxonomy missing": ("taxonomy.path", '[taxonomy]\npath = "nope.yaml"\n'),
    "taxonomy NUL": ("taxonomy.path", '[taxonomy]\npath = "a\\u0000b"\n'),
    "taxonomy twice": (
        "understand.taxonomy",
        '[taxonomy]\npath = "t.yaml"\n[understand]\ntaxonomy = "t.yaml"\n',
    ),
    "embed batch": ("embed.batch_size", "[embed]\nbatch_size = 0\n"),
    "discover": ("discover.match_threshold", "[discover]\nmatch_threshold = 2\n"),
    "execution not a table": ("execution", "execution = 5\n"),
    "execution engine": ("execution.engine", '[execution]\nengine = "spark"\n'),
    "execution key": ("execution.nodes", "[execution]\nnodes = 3\n"),
    "execution workers": ("execution.workers", "[execution]\nworkers = 0\n"),
    "limits key": ("limits.max_nesting", "[limits]\nmax_nesting = 3\n"),
    "limits value": ("limits.max_depth", "[limits]\nmax_depth = 0\n"),
    "limits not a number": ("limits.max_digits", '[limits]\nmax_digits = "1000"\n'),
    "sources not a table": ("sources", "sources = 5\n"),
    "source not a table": ("sources.t", "[sources]\nt = 5\n"),
    "source name": ("sources.a b", '[sources."a b"]\nconnector = "notes"\npath = "exports"\n'),
    "no connector": ("sources.t", '[sources.t]\npath = "exports"\n'),
    "connector not text": ("sources.t.connector", '[sources.t]\nconnector = 5\npath = "x"\n'),
    "unknown connector": ("sources.t.connector", '[sources.t]\nconnector = "nots"\n'),
    "no path": ("sources.t", '[sources.t]\nconnector = "notes"\n'),
    "missing path": ("sources.t.path", '[sources.t]\nconnector = "notes"\npath = "nope"\n'),
    "path NUL": ("sources.t.path", '[sources.t]\nconnector = "notes"\npath = "e\\u0000"\n'),
    "url for files": ("sources.t.url", '[sources.t]\nconnector = "notes"\nurl = "sqlite://"\n'),
    "function": ("sources.t.function", SOURCE + 'function = "Finance"\n'),
    "channel": ("sources.t.channel", SOURCE + 'channel = "fax"\n'),
    "enabled": ("sources.t.enabled", SOURCE + 'enabled = "yes"\n'),
    "options not a table": ("sources.t.options", SOURCE + "options = 5\n"),
    "option twice": ("sources.t.tz", SOURCE + 'tz = "UTC"\n[sources.t.options]\ntz = "UTC"\n'),
    "unknown option": ("sources.t.colour", SOURCE + 'colour = "red"\n'),
    "option kind": ("sources.t.tz", SOURCE + "tz = 5\n"),
    "unknown zone": ("sources.t.tz", SOURCE + 'tz = "Mars/Olympus"\n'),
    "unknown encoding": ("sources.t.encoding", SOURCE + 'encoding = "utf-9"\n'),
    "sql no url": ("sources.db", '[sources.db]\nconnector = "sql"\ntable = "t"\n'),
    "sql bad url": (
        "sources.db.url",
        '[sources.db]\nconnector = "sql"\nurl = "Server=x;Pwd=pw;"\n',
    ),
    "sql url and path": (
        "sources.db.path",
        '[sources.db]\nconnector = "sql"\nurl = "sqlite://"\npath = "exports"\n',
    ),
    "sql path a folder": ("sources.db.path", '[sources.db]\nconnector = "sql"\npath = "exports"\n'),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_config_hostile_every_error_names_the_file(tmp_path: Path, case: str):
    key, text = BAD_CONFIGS[case]
    (tmp_path / "exports").mkdir()
    (tmp_path / "t.yaml").write_text("version: 1\n")
    config = tmp_path / "silobridge.toml"
    if isinstance(text, bytes):
        config.write_bytes(text)
    else:
        config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(config)
    message = str(info.value)
    assert message.startswith(f"{config}: "), message
    assert info.value.path == str(config)
    if key is not None:
        assert message.startswith(f"{config}: {key}: "), message
        assert info.value.key == key
    assert ":pw" not in message and "Pwd=pw" not in message


def _laughs() -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


def test_config_hostile_taxonomy_alias_bomb_is_refused_at_its_line(tmp_path: Path):
    path = tmp_path / "taxonomy.yaml"
    path.write_text("version: 1\ncompany: Acme\n" + _laughs() + "themes: []\n")
    started = time.monotonic()
    with pytest.raises(ConfigError) as info:
        load_taxonomy(path)
    assert time.monotonic() - started < 5
    assert str(info.value) == f"{path}:4: yaml: invalid YAML: YAML aliases are not allowed"
    assert info.value.path == f"{path}:4"


def test_config_hostile_taxonomy_merge_keys_and_deep_nesting_are_refused(tmp_path: Path):
    path = tmp_path / "taxonomy.yaml"
    path.write_text(
        "version: 1\ninsight_types:\n  - &bug {id: bug, description: Broken.}\n"
        "  - {<<: *bug, id: defect}\n"
    )
    with pytest.raises(ConfigError, match=r"taxonomy\.yaml:4: yaml: .*aliases are not allowed"):
        load_taxonomy(path)
    path.write_text("version: 1\ncompany: " + "[" * 500 + "]" * 500 + "\n")
    with pytest.raises(ConfigError, match=r"taxonomy\.yaml:2: yaml: .*nested more than 64"):
        load_taxonomy(path)


def test_config_hostile_add_theme_keeps_refusing_aliases(tmp_path: Path):
    path = tmp_path / "taxonomy.yaml"
    path.write_text(
        "version: 1\nthemes:\n  - id: reliability\n    name: Reliability\n"
        "    description: &d It fails.\n  - id: speed\n    name: Speed\n    description: *d\n"
    )
    with pytest.raises(ConfigError, match=r"taxonomy\.yaml:8: yaml: .*aliases are not allowed"):
        add_theme(path, theme_id="new", name="New", description="New one.")


def test_config_limits_are_applied_by_the_ingest_and_named_in_the_reason(tmp_path: Path):
    import json

    import silobridge
    from silobridge.pipeline.ingest import run_ingest

    lines = [{"id": "1", "body": "short"}, {"id": "2", "body": "long " * 100}]
    (tmp_path / "t.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    (tmp_path / "silobridge.toml").write_text(
        "[limits]\nmax_record_chars = 200\n"
        '[sources.t]\nconnector = "jsonl"\npath = "t.jsonl"\nchannel = "ticket"\n'
        'mapping = { native_id = "id", text = "body" }\n'
    )
    cfg = load_config(tmp_path / "silobridge.toml")
    assert cfg.limits.max_record_chars == 200 and cfg.limits.max_depth == 200
    run_ingest(tmp_path / "st", list(cfg.sources.values()), limits=cfg.limits)
    store = silobridge.open_store(tmp_path / "st")
    assert list(store.items()["native_id"]) == ["1"]
    reasons = store.quarantine()["reason"]
    assert reasons.str.contains(r"\(limit 200: \[limits\] max_record_chars\)").all()
