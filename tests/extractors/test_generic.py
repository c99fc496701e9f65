"""The generic ``csv``, ``json`` and ``jsonl`` connectors on the fixtures and small files."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from silobridge.errors import ConfigError
from silobridge.extractors import CONNECTORS, Record, Rejected
from silobridge.extractors.generic import read_csv, read_json, read_jsonl

FIXTURES = Path(__file__).parent.parent / "fixtures"
READERS = {"csv": read_csv, "json": read_json, "jsonl": read_jsonl}


def _options(name: str) -> dict:
    return json.loads((FIXTURES / name / "expected.json").read_text())["options"]


def _read(name: str, version: str = "v1") -> list:
    expected = json.loads((FIXTURES / name / "expected.json").read_text())
    path = FIXTURES / name / expected["path" if version == "v1" else "path_v2"]
    return list(READERS[name](path, **expected["options"]))


def _records(items: list) -> dict[str, Record]:
    return {r.native_id: r for r in items if isinstance(r, Record)}


def _rejected(items: list) -> dict[str, str]:
    return {r.locator: r.reason for r in items if isinstance(r, Rejected)}


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# --- CSV -----------------------------------------------------------------------------------------


def test_csv_fixture_reads_good_rows_and_rejects_bad_ones_with_row_and_line():
    items = _read("csv")
    assert sorted(_records(items)) == ["FB-1001", "FB-1002", "FB-1003", "FB-1006", "FB-1007"]
    assert _rejected(items) == {
        "row 4 (line 6)": "expected 11 columns, found 13",
        "row 5 (line 7)": "Submitted At: not a recognisable timestamp",
    }
    # The empty-text row is a record: the ingest stage skips it ("no text").
    assert _records(items)["FB-1007"].text == ""


def test_csv_reads_zone_less_day_first_dates_in_tz_as_utc():
    record = _records(_read("csv"))["FB-1001"]
    # "01/09/2026 09:14" in Europe/Berlin (CEST, UTC+2) with dayfirst = 1 September, 07:14 UTC.
    assert record.created_at == datetime(2026, 9, 1, 7, 14, tzinfo=UTC)
    assert record.updated_at == record.created_at


def test_csv_maps_title_account_function_channel_and_speaker():
    record = _records(_read("csv"))["FB-1003"]
    assert record.title == "Pricing objection"
    assert record.account == "Initech"
    assert record.function == "Sales"
    assert record.channel == "call"
    assert [(p.speaker, p.role) for p in record.parts] == [("Bill Lumbergh", "unknown")]
    assert record.text.startswith("Per-seat pricing")
    # Unmapped columns land in metadata, empty cells left out.
    assert record.metadata == {"Tags": "pricing"}


def test_csv_multi_line_cell_keeps_its_lines_and_raw():
    items = _read("csv")
    record = _records(items)["FB-1002"]
    assert record.text.splitlines() == [
        "Their ops team rebuilds the weekly SLA report by hand in Excel.",
        "They asked whether scheduled reports can be emailed to non-users, e.g. their CFO.",
    ]
    assert record.raw.startswith("FB-1002,") and record.raw.count("\n") == 2
    # The row after the two-line row starts on line 5.
    assert _records(items)["FB-1003"].locator == "row 3 (line 5)"


def test_csv_mapping_naming_a_missing_column_is_a_config_error_listing_the_header(tmp_path):
    path = _write(tmp_path, "f.csv", "ID,Comment,Date\n1,Slow export,2026-09-01\n")
    with pytest.raises(ConfigError, match=r"mapping\.text names column 'Body'.*'ID', 'Comment'"):
        list(read_csv(path, mapping={"text": "Body"}))
    with pytest.raises(ConfigError, match="metadata_columns names column 'Plan'"):
        list(read_csv(path, mapping={"text": "Comment"}, metadata_columns=["Plan"]))


def test_csv_damaged_header_rejects_the_file_instead_of_stopping_the_run(tmp_path):
    cut_short = _write(tmp_path, "cut.csv", "ID,Comm")
    (item,) = read_csv(cut_short, mapping={"text": "Comment"})
    assert (item.locator, item.reason) == (
        "file",
        "header has no column 'Comment' and no row follows it",
    )
    bad_bytes = _write(tmp_path, "bytes.csv", b"ID,Comm\xffent\n1,Slow export\n")
    (item,) = read_csv(bad_bytes, mapping={"text": "Comment"})
    assert item.locator == "file" and item.reason.startswith("header row: bytes that are not valid")
    dropped_comma = _write(tmp_path, "comma.csv", "ID,CommentDate\n1,Slow export,2026-09-01\n")
    (item,) = read_csv(dropped_comma, mapping={"text": "Comment"})
    assert item.reason == "damaged header: 2 columns, but the first row has 3 cells"


def test_csv_wrong_delimiter_hints_at_the_delimiter_option(tmp_path):
    path = _write(tmp_path, "f.csv", "ID;Comment\n1;Slow export\n")
    with pytest.raises(ConfigError, match="delimiter"):
        list(read_csv(path, mapping={"text": "Comment"}))
    records = list(read_csv(path, mapping={"native_id": "ID", "text": "Comment"}, delimiter=";"))
    assert [(r.native_id, r.text) for r in records] == [("1", "Slow export")]


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (None, "needs a 'mapping' option"),
        ({"native_id": "ID"}, "no 'text' key"),
        ({"text": "Comment", "author": "Name"}, "Unknown mapping key.*'author'"),
        ({"text": "Comment", "title": ["A", "B"]}, "mapping.title must be a column name"),
        ({"text": []}, "mapping.text must be a column name or a list"),
    ],
)
def test_csv_invalid_mapping_is_a_config_error(tmp_path, mapping, message):
    path = _write(tmp_path, "f.csv", "ID,Comment\n1,Slow export\n")
    with pytest.raises(ConfigError, match=message):
        list(read_csv(path, mapping=mapping))


def test_csv_text_from_several_columns_is_joined_with_newlines(tmp_path):
    path = _write(tmp_path, "f.csv", "Subject,Comment,Extra\nExport,Times out,\n,Only comment,x\n")
    records = list(read_csv(path, mapping={"text": ["Subject", "Comment", "Extra"]}))
    assert [r.text for r in records] == ["Export\nTimes out", "Only comment\nx"]


def test_csv_metadata_columns_none_all_unmapped_list_exact_empty_none(tmp_path):
    path = _write(tmp_path, "f.csv", "Comment,Plan,Seats\nSlow export,Enterprise,40\n")
    mapping = {"text": "Comment"}
    assert next(read_csv(path, mapping=mapping)).metadata == {"Plan": "Enterprise", "Seats": "40"}
    only = next(read_csv(path, mapping=mapping, metadata_columns=["Seats"]))
    assert only.metadata == {"Seats": "40"}
    assert next(read_csv(path, mapping=mapping, metadata_columns=[])).metadata == {}


def test_csv_without_id_column_uses_a_stable_content_hash(tmp_path):
    mapping = {"text": "Comment", "created_at": "Date"}
    first = _write(
        tmp_path, "a.csv", "Comment,Date\nSlow export,2026-09-01\nNeeds SSO,2026-09-02\n"
    )
    again = _write(
        tmp_path, "b.csv", "Date,Comment\n2026-09-02,Needs SSO\n2026-09-01,Slow export\n"
    )
    edited = _write(tmp_path, "c.csv", "Comment,Date\nSlow CSV export,2026-09-01\n")
    ids = [r.native_id for r in read_csv(first, mapping=mapping)]
    assert len(set(ids)) == 2
    assert sorted(r.native_id for r in read_csv(again, mapping=mapping)) == sorted(ids)
    # An edited row counts as a new record.
    assert next(read_csv(edited, mapping=mapping)).native_id not in ids


def test_csv_row_with_invalid_bytes_is_rejected_and_the_rest_read(tmp_path):
    content = "ID,Comment\n1,Caf\xe9 export\n2,Slow export\n".encode("cp1252")
    path = _write(tmp_path, "f.csv", content)
    items = list(read_csv(path, mapping={"native_id": "ID", "text": "Comment"}))
    assert "encoding" in _rejected(items)["row 1 (line 2)"]
    assert list(_records(items)) == ["2"]
    fixed = list(read_csv(path, mapping={"native_id": "ID", "text": "Comment"}, encoding="cp1252"))
    assert _records(fixed)["1"].text == "Café export"


def test_csv_empty_or_binary_file_is_one_rejected_record(tmp_path):
    for name, content in [("empty.csv", b""), ("binary.csv", b"\x00\x01\x02ID,Comment")]:
        (item,) = read_csv(_write(tmp_path, name, content), mapping={"text": "Comment"})
        assert isinstance(item, Rejected) and item.locator == "file"


# --- JSON ----------------------------------------------------------------------------------------


def test_json_fixture_keeps_records_before_the_truncated_end():
    items = _read("json")
    assert sorted(_records(items)) == ["5501", "5502", "5503"]
    assert _rejected(items) == {
        "record 4 (line 73)": "field 'body': expected text, got a number",
        "record 5 (line 91)": "missing required field 'body'",
        "record 6 (line 110)": "truncated JSON: the file ends inside this record",
    }


def test_json_nested_fields_roles_and_utc_timestamps():
    records = _records(_read("json"))
    first = records["5501"]
    assert first.account == "Contoso Pharma"
    assert first.channel == "chat"
    assert [(p.speaker, p.role) for p in first.parts] == [("Priya Raman", "customer")]
    # "+02:00" offset and epoch seconds both end in UTC.
    assert records["5502"].created_at == datetime(2026, 9, 11, 6, 3, 41, tzinfo=UTC)
    assert records["5503"].created_at == datetime(2026, 9, 12, 9, 0, tzinfo=UTC)
    # Objects a mapping reaches into (author, company) stay out of metadata; scalars go in.
    assert first.metadata == {"status": "open", "tags": ["sso", "okta"], "priority": 2}


def test_json_wrong_types_are_rejected_naming_the_field(tmp_path):
    records = [
        {"id": 1, "text": {"html": "<p>x</p>"}},
        {"id": 2.5, "text": "Float id"},
        {"id": 3, "text": "Bad date", "at": "the day after"},
        {"id": 4, "text": "Title list", "title": ["a"]},
        "just a string",
        {"id": 6, "text": None},
        {"id": 7, "text": "Good one", "at": 1788264000},
    ]
    path = _write(tmp_path, "r.json", json.dumps(records))
    mapping = {"native_id": "id", "text": "text", "created_at": "at", "title": "title"}
    items = list(read_json(path, mapping=mapping))
    assert _rejected(items) == {
        "record 1": "field 'text': expected text, got an object",
        "record 2": "id: expected a string or integer id, got float",
        "record 3": "at: not a recognisable timestamp",
        "record 4": "field 'title': expected text, got a list",
        "record 5": "record is not a JSON object (got str)",
    }
    # A null text is an empty record (the ingest stage quarantines it), not a crash.
    assert _records(items)["6"].text == ""
    assert _records(items)["7"].created_at == datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


def test_json_records_path_missing_rejects_the_file(tmp_path):
    path = _write(tmp_path, "r.json", json.dumps({"items": [{"text": "x"}]}))
    (item,) = read_json(path, mapping={"text": "text"}, records_path="data.items")
    assert isinstance(item, Rejected)
    assert item.reason == "expected a JSON array at key 'data.items'"
    (record,) = read_json(path, mapping={"text": "text"}, records_path="items")
    assert record.text == "x"


def test_json_dotted_key_present_literally_wins_over_nesting(tmp_path):
    path = _write(tmp_path, "r.json", json.dumps([{"a.b": "literal", "a": {"b": "nested"}}]))
    (record,) = read_json(path, mapping={"text": "a.b"})
    assert record.text == "literal"


# --- JSON Lines ----------------------------------------------------------------------------------


def test_jsonl_fixture_rejects_malformed_invalid_bytes_and_wrong_type_lines():
    items = _read("jsonl")
    assert len(_records(items)) == 3
    rejected = _rejected(items)
    assert rejected["line 4"].startswith("invalid JSON")
    assert "not valid utf-8" in rejected["line 5"]
    assert rejected["line 6"] == "field 'message': expected text, got a list"
    # Reasons never carry the record's content.
    assert not any("Invoices" in r or "Dubois" in r for r in rejected.values())


def test_jsonl_epoch_seconds_null_update_and_role_words():
    records = list(_records(_read("jsonl")).values())
    assert records[0].created_at == datetime(2026, 9, 11, 10, 0, tzinfo=UTC)
    assert records[0].updated_at == records[0].created_at  # edited_ts is null
    assert [r.parts[0].role for r in records] == ["customer", "customer", "internal"]
    assert records[2].account == "Adventure Works"
    assert records[0].metadata == {"page": "/mobile/scan", "sentiment": "negative"}


def test_jsonl_corrupted_lines_never_raise_and_each_line_is_accounted_for(tmp_path):
    rng = random.Random(7)
    good = json.dumps({"id": "a1", "text": "Export fails", "at": "2026-09-01T10:00:00Z"})
    lines = []
    for _ in range(300):
        line = bytearray(good.encode())
        for _ in range(rng.randint(1, 4)):
            line[rng.randrange(len(line))] = rng.choice(b'{}[]":,\xff\x80nt0 ')
        lines.append(bytes(line).replace(b"\n", b" ") or b"x")
    lines += [b"null", b"[1, 2]", b'{"id": null, "text": "x"}', b'{"id": "z", "text": 5}']
    path = _write(tmp_path, "fuzz.jsonl", b"\n".join(lines))
    mapping = {"native_id": "id", "text": "text", "created_at": "at"}
    items = list(read_jsonl(path, mapping=mapping))
    assert all(isinstance(i, Record | Rejected) for i in items)
    assert len(items) == sum(1 for line in lines if line.strip())


# --- All three -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(READERS))
def test_generic_v2_changes_exactly_one_record_with_newer_update(name):
    expected = json.loads((FIXTURES / name / "expected.json").read_text())
    v1, v2 = _read(name, "v1"), _read(name, "v2")
    before, after = _records(v1), _records(v2)
    assert before.keys() == after.keys()
    changed = [
        k
        for k in before
        if (before[k].text, before[k].updated_at) != (after[k].text, after[k].updated_at)
    ]
    assert changed == [expected["changed_native_id"]]
    old, new = before[changed[0]], after[changed[0]]
    assert new.updated_at > old.updated_at and len(new.text) > len(old.text)
    assert sorted(_rejected(v1).values()) == sorted(_rejected(v2).values())


@pytest.mark.parametrize("name", sorted(READERS))
def test_generic_connectors_are_files_layout_without_a_default_channel(name):
    spec = CONNECTORS[name]
    assert (spec.layout, spec.channel) == ("files", None)
    assert {"mapping", "metadata_columns", "tz", "dayfirst", "encoding"} <= set(spec.options)
    assert set(_options(name)) <= set(spec.options)


def test_generic_ids_are_strings_even_when_the_export_has_integers():
    assert all(isinstance(k, str) for k in _records(_read("json")))
    assert "5501" in _records(_read("json"))
