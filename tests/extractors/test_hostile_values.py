"""Values an attacker (or a careless export) sends: URLs that do not parse, YAML bombs, dates
without a date, zone names read as UTC, record content quoted in reasons.

Each test feeds the hostile value through the public functions the commands use (the config
loader, the connectors, the ingest stage) and checks what a user would see: nothing of the
password, nothing of the record, and a reason that says what is wrong and where.
"""

from __future__ import annotations

import json
import socket
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import silobridge
from silobridge.config import load_config, make_source
from silobridge.errors import ConfigError, ConnectorError, find_secrets, mask_secrets
from silobridge.extractors import Rejected
from silobridge.extractors.base import FUNCTIONS, normalize_function
from silobridge.extractors.labelled import read_descriptions
from silobridge.extractors.notes import MAX_FRONT_MATTER, read_notes, split_front_matter
from silobridge.extractors.sql import mask_url, read_sql
from silobridge.extractors.values import parse_timestamp
from silobridge.pipeline.ingest import run_ingest

from ..conftest import make_source as make_file_source

SECRET = "Sup3r-S3cret"

# --- 1. passwords, in URLs that parse and URLs that do not ---------------------------------------

#: (configured URL, what the password's visible fragments are): every fragment must stay hidden.
HOSTILE_URLS = [
    # one slash missing: SQLAlchemy cannot parse it
    (f"postgresql+psycopg:/user:{SECRET}@host/db", [SECRET]),
    # an unescaped '@' in the password: SQLAlchemy reads host "ss@host"
    (f"postgresql://u:p@{SECRET}@host/db", [SECRET, f"p@{SECRET}"]),
    # ... and a ':' after it: SQLAlchemy's port error quotes the tail
    (f"postgresql://u:p@{SECRET}:x@host/db", [SECRET]),
    # ODBC and libpq connection strings
    (f"Driver={{ODBC Driver 18 for SQL Server}};Server=x;Uid=u;Pwd={SECRET};", [SECRET]),
    (
        f"DRIVER={{SQL Server}};SERVER=tcp:db.example,1433;UID=u@db;PWD={{{SECRET};x}}}}y}};",
        [SECRET],
    ),
    (f"host=db user=u password='{SECRET} two' dbname=crm", [SECRET, "two'"]),
    (f"PGPASSWORD={SECRET} postgresql://u@db/crm", [SECRET]),
    # a password in a query string, plain and percent-encoded inside odbc_connect
    (f"postgresql://u@db/crm?sslmode=require&password={SECRET}", [SECRET]),
    (f"mssql+pyodbc:///?odbc_connect=DRIVER%3D%7Bx%7D%3BPWD%3D{SECRET}%3BUID%3Du", [SECRET]),
    # no scheme at all
    (f"u:{SECRET}@host/db", [SECRET]),
]


@pytest.mark.parametrize(("url", "fragments"), HOSTILE_URLS)
def test_hostile_mask_url_hides_the_password_of_any_string(url: str, fragments: list[str]):
    masked = mask_url(url)
    assert "***" in masked
    for fragment in fragments:
        assert fragment not in masked
    assert mask_url(masked) == masked  # masking twice changes nothing
    # In free text (a driver's message, a log line) a URL with a scheme or a key=value string is
    # found and masked too ("u:pw@host" alone is masked only as a configured value).
    if ":/" in url or "=" in url:
        assert SECRET not in mask_secrets(f"cannot connect to {url}: refused")
    assert SECRET in "".join(find_secrets(url))


def test_hostile_masking_keeps_what_is_not_a_password():
    assert mask_url("postgresql://ana@db:5432/crm?sslmode=require") == (
        "postgresql://ana@db:5432/crm?sslmode=require"
    )
    assert mask_url("postgresql://ana:pw@db/crm?application_name=a@b") == (
        "postgresql://ana:***@db/crm?application_name=a@b"
    )
    assert mask_url("sqlite:////data/a@b/crm.db") == "sqlite:////data/a@b/crm.db"
    assert mask_url("Driver={x};Server=db;Uid=ana;Pwd=pw;Database=crm") == (
        "Driver={x};Server=db;Uid=ana;Pwd=***;Database=crm"
    )
    assert mask_url("host=db password=pw dbname=crm") == "host=db password=*** dbname=crm"
    for text in ("sql:table=notes:row id=17", "path does not exist: /data/a@b:c", "C:/a@b/x.db"):
        assert mask_secrets(text) == text


def _sources_json(config: Path) -> dict[str, Any]:
    """What ``silobridge sources --json`` prints for the configured sources (commands/inspect)."""
    cfg = load_config(config)
    return {
        n: {
            "connector": s.connector,
            "path": s.display_path(s.path),
            "function": s.function,
            "channel": s.channel,
            "enabled": s.enabled,
            "options": s.options,
        }
        for n, s in cfg.sources.items()
    }


@pytest.mark.parametrize(("url", "fragments"), HOSTILE_URLS)
def test_hostile_url_in_a_config_never_shows_its_password(
    tmp_path: Path, url: str, fragments: list[str]
):
    config = tmp_path / "silobridge.toml"
    config.write_text(
        f'[sources.crm]\nconnector = "sql"\nurl = {json.dumps(url)}\ntable = "notes"\n'
        'mapping = { text = "body" }\n'
    )
    try:
        shown = json.dumps(_sources_json(config))
    except ConfigError as e:  # what `sources`, `ingest` and `quarantine` print: "Error: ..."
        shown = str(e)
        assert shown.startswith(f"{config}: sources.crm.url: not a database URL")
        assert e.path == str(config)
    for fragment in fragments:
        assert fragment not in shown
    try:  # no config file (`silobridge ingest --option url=...`): the same, without its name
        source = make_source("crm", {"connector": "sql", "url": url}, base_dir=tmp_path)
        shown = f"{source!r} {source.display_url} {source.display_path(source.path)}"
    except ConfigError as e:
        shown = f"{e} {e!r}"
    for fragment in fragments:
        assert fragment not in shown


def test_hostile_display_url_masks_an_encoded_password(tmp_path: Path):
    url = "postgresql+psycopg://ana:p%40ss-" + SECRET + "@db.internal:5432/crm"
    source = make_source("crm", {"connector": "sql", "url": url, "table": "t"}, base_dir=tmp_path)
    assert source.url == url
    assert source.display_url == "postgresql+psycopg://ana:***@db.internal:5432/crm"
    assert SECRET not in source.display_path(source.path) and SECRET not in repr(source)
    assert SECRET not in source.config_hash() and "p%40ss" not in json.dumps(source.options)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_hostile_database_failures_keep_the_password_out_of_the_store(
    tmp_path: Path, store_path: Path, caplog: pytest.LogCaptureFixture
):
    # A server that is not there: the failure is quarantined with the driver's message.
    url = f"postgresql+psycopg://ana:p%40{SECRET}@127.0.0.1:{_free_port()}/crm"
    source = make_source(
        "crm",
        {"connector": "sql", "url": url, "table": "notes", "mapping": {"text": "body"}},
        base_dir=tmp_path,
    )
    result = run_ingest(store_path, [source])
    assert result.totals.quarantined == 1
    row = silobridge.open_store(store_path).quarantine().iloc[0]
    assert row["locator"] == "database" and row["reason"].startswith("the database failed: ")
    for file in store_path.rglob("*"):
        if file.is_file():
            assert SECRET.encode() not in file.read_bytes(), file
    assert SECRET not in caplog.text
    # The connector called without the config's checks: an unescaped '@' is refused, masked.
    options: dict[str, Any] = {"table": "t", "mapping": {"text": "body"}}
    with pytest.raises(ConfigError) as info:
        list(read_sql(f"postgresql+psycopg://ana:p@{SECRET}@127.0.0.1:1/crm", **options))
    assert "holds an '@'" in str(info.value) and SECRET not in str(info.value)
    with pytest.raises(ConfigError) as info:
        list(read_sql(f"postgresql+psycopg:/ana:{SECRET}@127.0.0.1/crm", **options))
    assert SECRET not in str(info.value)


def test_hostile_errors_and_rejections_mask_passwords_whoever_builds_them():
    url = f"postgresql://ana:p@{SECRET}@db/crm"
    assert SECRET not in str(ConfigError(f"cannot open {url}", key="url"))
    error = ConnectorError(f"failed: password={SECRET}", path="sql:query", locator="database")
    assert SECRET not in str(error) and SECRET not in error.reason
    rejected = Rejected("sql:query", "database", f"the database failed: {url}; Pwd={SECRET};")
    assert SECRET not in str(rejected) and SECRET not in rejected.reason


# --- 2. YAML aliases ("billion laughs") and oversized front matter -------------------------------


def _laughs(levels: int = 9) -> str:
    """Nine lists of nine aliases each: ~700 bytes that expand to 9**9 values."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


def test_hostile_yaml_aliases_reject_the_note_only(tmp_path: Path, store_path: Path):
    folder = tmp_path / "notes"
    folder.mkdir()
    bomb = folder / "2026-09-14-bomb.md"
    bomb.write_text(f"---\ntitle: Bomb\n{_laughs()}---\n# Bomb\nBody.\n", encoding="utf-8")
    assert len(bomb.read_bytes()) < 1000
    for i in range(3):
        (folder / f"2026-09-1{i}-call.md").write_text(
            f"---\nid: note-{i}\naccount: Acme\n---\n# Call {i}\nThey want SSO.\n"
        )
    tracemalloc.start()
    try:
        (item,) = read_notes(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(item, Rejected) and peak < 5_000_000
    assert str(item) == f"{bomb}:file: invalid front matter: YAML aliases are not allowed (line 4)"

    started = time.monotonic()
    result = run_ingest(store_path, [make_file_source("notes", folder)])
    assert time.monotonic() - started < 30
    assert (result.totals.new, result.totals.quarantined) == (3, 1)
    store = silobridge.open_store(store_path)
    assert sorted(store.items()["native_id"]) == ["note-0", "note-1", "note-2"]
    (reason,) = store.quarantine()["reason"]
    assert reason.startswith("invalid front matter: YAML aliases are not allowed")


def test_hostile_front_matter_is_refused_when_too_long_or_too_deep():
    long = "---\n" + "".join(f"k{i}: {'v' * 60}\n" for i in range(1200)) + "---\nBody\n"
    with pytest.raises(ConnectorError, match=r"invalid front matter: longer than 64 KB"):
        split_front_matter(long)
    unclosed = "---\n" + "k: v\n" * (MAX_FRONT_MATTER // 2)
    with pytest.raises(ConnectorError, match=r"longer than 64 KB"):
        split_front_matter(unclosed)
    deep = "---\nk: " + "[" * 200 + "]" * 200 + "\n---\nBody\n"
    with pytest.raises(ConnectorError, match=r"nested more than 64 levels deep \(line 2\)"):
        split_front_matter(deep)
    # An anchor without an alias is harmless, and the body after the front matter is kept.
    front, body = split_front_matter("---\ntags: &t [a, b]\n---\nBody\n")
    assert front == {"tags": ["a", "b"]} and body == "Body\n"


def test_hostile_label_descriptions_refuse_aliases(tmp_path: Path):
    path = tmp_path / "labels.yaml"
    path.write_text("bug: &d Something is broken.\nquestion: *d\n")
    with pytest.raises(ConfigError, match=r"labels\.yaml: YAML aliases are not allowed \(line 2\)"):
        read_descriptions(path)


# --- 3. dates: a time alone, zone abbreviations --------------------------------------------------


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("12:00", "created_at: no date in the value (only a time)"),
        ("10:30 PM PST", "created_at: no date in the value (only a time)"),
        ("Monday", "created_at: no date in the value (only a time)"),
        ("14 Sep 10:00", "created_at: incomplete date (no year)"),
        ("September 2026", "created_at: incomplete date (no day)"),
        ("2026-09-14 10:00 XYZ", "created_at: unknown or ambiguous time zone name"),
        ("2026-09-14 10:00 IST", "created_at: unknown or ambiguous time zone name"),
        ("2026-09-14 10:00 PST-8", "created_at: unknown or ambiguous time zone name"),
        ("2026-09-14 10:00 AST", "created_at: unknown or ambiguous time zone name"),
    ],
)
def test_hostile_timestamps_without_a_date_or_with_an_unknown_zone_are_refused(
    value: str, reason: str
):
    with pytest.raises(ConnectorError) as info:
        parse_timestamp(value, field="created_at", tz="Europe/Berlin")
    assert info.value.reason.startswith(reason)
    assert value not in str(info.value)


@pytest.mark.parametrize(
    ("value", "utc"),
    [
        ("2026-09-14 10:00 PST", datetime(2026, 9, 14, 18, 0)),
        ("2026-09-14 10:00 PDT", datetime(2026, 9, 14, 17, 0)),
        ("Sep 14 2026 10:00 pm EST", datetime(2026, 9, 15, 3, 0)),
        ("2026-09-14 10:00 CEST", datetime(2026, 9, 14, 8, 0)),
        ("2026-01-14 10:00 CET", datetime(2026, 1, 14, 9, 0)),
        ("2026-09-14 10:00 BST", datetime(2026, 9, 14, 9, 0)),
        ("2026-09-14 10:00 AKST", datetime(2026, 9, 14, 19, 0)),
        ("2026-09-14 10:00 HST", datetime(2026, 9, 14, 20, 0)),
        ("2026-09-14 10:00 JST", datetime(2026, 9, 14, 1, 0)),
        ("2026-09-14 10:00 AEST", datetime(2026, 9, 14, 0, 0)),
        ("2026-01-14 10:00 PT", datetime(2026, 1, 14, 18, 0)),  # winter: PST
        ("2026-07-14 10:00 PT", datetime(2026, 7, 14, 17, 0)),  # summer: PDT
        ("Mon, 14 Sep 2026 10:00:00 GMT", datetime(2026, 9, 14, 10, 0)),
        ("2026-09-14 10:00 UTC", datetime(2026, 9, 14, 10, 0)),
        ("2026-09-14 10:00 UTC+02:00", datetime(2026, 9, 14, 8, 0)),  # as meant, not POSIX
        ("2026-09-14 10:00 GMT-5", datetime(2026, 9, 14, 15, 0)),
        (
            "Mon Sep 14 2026 10:00:00 GMT+0200 (Central European Summer Time)",
            datetime(2026, 9, 14, 8),
        ),
        ("2026-09-14 10:00 +0200", datetime(2026, 9, 14, 8, 0)),
        ("2026-09-14 10:00", datetime(2026, 9, 14, 8, 0)),  # no zone: read in tz
        ("1 Jan 2026", datetime(2025, 12, 31, 23, 0)),  # a real 1 January is not "missing"
        ("2026-09-14T10:00:00Z", datetime(2026, 9, 14, 10, 0)),
    ],
)
def test_hostile_zone_abbreviations_are_read_at_their_offsets(value: str, utc: datetime):
    assert parse_timestamp(value, field="created_at", tz="Europe/Berlin") == utc.replace(tzinfo=UTC)


def test_hostile_a_time_alone_quarantines_the_note_rather_than_dating_it_today(tmp_path: Path):
    path = tmp_path / "call.md"
    path.write_text('---\ndate: "12:00"\n---\nThey want SSO.\n')
    (item,) = read_notes(path)
    assert isinstance(item, Rejected)
    assert item.reason == "front matter 'date': no date in the value (only a time)"


# --- 4. reasons never quote the record -----------------------------------------------------------


def test_hostile_unknown_function_is_named_without_its_value(tmp_path: Path, store_path: Path):
    value = "Maria Gonzalez 4111 1111 1111 1111"
    with pytest.raises(ValueError) as info:
        normalize_function(value)
    assert str(info.value) == f"unknown function (expected one of {', '.join(FUNCTIONS)})"
    data = tmp_path / "a.jsonl"
    data.write_text(json.dumps({"id": "1", "body": "Export fails", "team": value}) + "\n")
    source = make_file_source(
        "jsonl",
        data,
        channel="ticket",
        mapping={"native_id": "id", "text": "body", "function": "team"},
    )
    assert run_ingest(store_path, [source]).totals.quarantined == 1
    (reason,) = silobridge.open_store(store_path).quarantine()["reason"]
    assert reason.startswith("unknown function (expected one of ")
    assert "4111" not in reason and "Maria" not in reason


def test_hostile_timestamp_out_of_range_does_not_quote_it():
    with pytest.raises(ConnectorError) as info:
        parse_timestamp("1850-03-04T10:00:00Z", field="created_at")
    assert info.value.reason == "created_at: timestamp is outside 1990-2100"
    assert "1850" not in str(info.value)
