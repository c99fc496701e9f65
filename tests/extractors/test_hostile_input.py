"""Hostile input: every file connector against every hostile record or file that applies to it.

Each case writes a small export in the vendor's real shape (five good records, one of them made
hostile, or the file cut short), ingests it, and checks what ``docs/connectors.md`` promises:

* every good record is stored, the hostile one is quarantined with ``path:locator: reason``, and
  no reason quotes the record's content;
* ``read == new + updated + unchanged + duplicate + quarantined`` (skipped counted apart);
* a file that broke off (truncated, or damaged outside its records) is read again next run; a file
  read to its end is skipped by the next run.

The cases: JSON nested 10,000 and 500 deep, integers of 5,000 and 2,000 digits, an array cut at a
record boundary and inside a record, a raw NUL byte in one record, U+2028/``\\x0b``/``\\x0c`` (and
friends) in a text field, a field over the size limit, a record that makes the connector raise,
and for CSV a quote that never closes. Sizes use small limits (20,000-character cells, 50,000-
character records) so the suite stays fast; the 20 MB version is in ``benchmarks/hostile_ingest.py``
and in :func:`test_hostile_csv_of_20_mb_keeps_memory_bounded`.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest
import silobridge
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from silobridge.extractors import files
from silobridge.extractors.base import Rejected
from silobridge.extractors.csv_rows import CsvRow, iter_csv_rows
from silobridge.extractors.files import BrokenOff, Limits, iter_json_records
from silobridge.pipeline.ingest import run_ingest

from ..conftest import make_source

SMALL = Limits(max_depth=200, max_digits=1_000, max_field_chars=20_000, max_record_chars=50_000)
SECRET = "jane.doe@example.com 4111-1111"  # in every hostile record: never in a reason
N, K = 5, 2  # records per export; the hostile one is record K (0-based)
HOSTILE = "@@HOSTILE@@"
SEPARATORS = "a\u2028b\u2029c\x0bd\x0ce\x1cf\x1dg\x1eh\x85i"


@pytest.fixture(autouse=True)
def _small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "LIMITS", SMALL)


# --- the exports ---------------------------------------------------------------------------------


class JsonExport:
    """An export whose records are the elements of one JSON array in one file."""

    connector: str
    options: ClassVar[dict[str, Any]] = {}
    records_file = "records.json"
    prefix, suffix = "[", "]"
    folder_source = False  # the source is the folder (else the records file)
    lines = False  # JSON Lines: one record per line

    def record(self, i: int, text: str) -> dict[str, Any]:
        raise NotImplementedError

    def native_id(self, i: int) -> str:
        return str(1000 + i)

    def side_files(self, folder: Path) -> None:
        """Files the export holds beside the records (users, call metadata)."""

    def write(self, folder: Path, body: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        self.side_files(folder)
        (folder / self.records_file).write_bytes(body.encode("utf-8", "surrogatepass"))
        return folder if self.folder_source else folder / self.records_file

    def join(self, fragments: list[str], cut: str | None = None) -> str:
        """The records file's text: all records, or cut at/inside record K."""
        if self.lines:
            if cut == "inside":
                return "\n".join([*fragments[:K], fragments[K][: len(fragments[K]) // 2]])
            return "".join(f + "\n" for f in fragments)
        if cut == "boundary":
            return self.prefix + ",\n".join(fragments[:K])
        if cut == "inside":
            half = fragments[K][: len(fragments[K]) // 2]
            return self.prefix + ",\n".join([*fragments[:K], half])
        return self.prefix + ",\n".join(fragments) + self.suffix


class Json(JsonExport):
    connector = "json"
    options: ClassVar[dict[str, Any]] = {
        "channel": "ticket",
        "mapping": {"native_id": "id", "text": "body", "created_at": "at"},
    }

    def record(self, i: int, text: str) -> dict[str, Any]:
        return {"id": str(1000 + i), "body": text, "at": "2026-09-01T10:00:00Z"}


class Jsonl(Json):
    connector = "jsonl"
    records_file = "records.jsonl"
    lines = True


class Zendesk(JsonExport):
    connector = "zendesk"
    records_file = "tickets.json"
    prefix, suffix = '{"tickets": [', '], "users": [{"id": 1, "name": "Ann", "role": "end-user"}]}'
    folder_source = True

    def record(self, i: int, text: str) -> dict[str, Any]:
        return {
            "id": 1000 + i,
            "subject": f"Ticket {i}",
            "description": text,
            "status": "open",
            "requester_id": 1,
            "created_at": "2026-09-01T10:00:00Z",
            "updated_at": "2026-09-02T10:00:00Z",
        }


class Intercom(JsonExport):
    connector = "intercom"
    records_file = "conversations.json"
    prefix, suffix = '{"type": "conversation.list", "conversations": [', "]}"

    def record(self, i: int, text: str) -> dict[str, Any]:
        return {
            "type": "conversation",
            "id": str(1000 + i),
            "created_at": 1788250442 + i,
            "updated_at": 1788254042 + i,
            "source": {
                "type": "conversation",
                "body": text,
                "author": {"type": "user", "id": "u1", "name": "Ana Costa"},
            },
        }


class Gong(JsonExport):
    connector = "gong"
    records_file = "transcripts.json"
    prefix, suffix = '{"requestId": "r1", "callTranscripts": [', "]}"
    folder_source = True

    def record(self, i: int, text: str) -> dict[str, Any]:
        sentence = {"start": 0, "end": 900, "text": text}
        return {
            "callId": self.native_id(i),
            "transcript": [{"speakerId": "s1", "topic": "Intro", "sentences": [sentence]}],
        }

    def side_files(self, folder: Path) -> None:
        calls = [
            {
                "metaData": {
                    "id": self.native_id(i),
                    "title": f"Call {i}",
                    "started": "2026-09-01T10:00:00Z",
                    "duration": 60,
                },
                "parties": [{"speakerId": "s1", "name": "Ann", "affiliation": "External"}],
            }
            for i in range(N)
        ]
        (folder / "calls.json").write_text(json.dumps({"requestId": "r0", "calls": calls}))


class Slack(JsonExport):
    connector = "slack"
    records_file = "general/2026-03-01.json"
    folder_source = True

    def native_id(self, i: int) -> str:
        return f"C1:{1772300000 + i}.000100"

    def record(self, i: int, text: str) -> dict[str, Any]:
        return {"type": "message", "user": "U1", "text": text, "ts": f"{1772300000 + i}.000100"}

    def side_files(self, folder: Path) -> None:
        (folder / "general").mkdir(exist_ok=True)
        users = [{"id": "U1", "name": "ann", "real_name": "Ann", "team_id": "T1"}]
        (folder / "users.json").write_text(json.dumps(users))
        (folder / "channels.json").write_text(json.dumps([{"id": "C1", "name": "general"}]))


class Typeform(JsonExport):
    connector = "typeform"
    records_file = "responses.json"
    prefix, suffix = '{"total_items": 5, "page_count": 1, "items": [', "]}"
    folder_source = True

    def native_id(self, i: int) -> str:
        return f"resp{i}"

    def record(self, i: int, text: str) -> dict[str, Any]:
        field = {"id": "f1", "ref": "improve", "type": "long_text"}
        return {
            "response_id": f"resp{i}",
            "landed_at": "2026-09-01T10:00:00Z",
            "submitted_at": "2026-09-01T10:05:00Z",
            "answers": [{"field": field, "type": "text", "text": text}],
        }


class CsvExport:
    """An export of one CSV file: header rows, then one row per record."""

    connector: str
    options: ClassVar[dict[str, Any]] = {}
    file = "export.csv"

    def header(self) -> list[list[str]]:
        raise NotImplementedError

    def row(self, i: int, text: str) -> list[str]:
        raise NotImplementedError

    def native_id(self, i: int) -> str:
        return str(1000 + i)

    def text(self, rows: list[list[str]]) -> str:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows([*self.header(), *rows])
        return out.getvalue()

    def write(self, folder: Path, body: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / self.file).write_bytes(body.encode("utf-8", "surrogatepass"))
        return folder / self.file


class Csv(CsvExport):
    connector = "csv"
    file = "feedback.csv"
    options: ClassVar[dict[str, Any]] = {
        "channel": "survey",
        "mapping": {"native_id": "id", "text": "comment", "created_at": "date"},
    }

    def header(self) -> list[list[str]]:
        return [["id", "comment", "date"]]

    def row(self, i: int, text: str) -> list[str]:
        return [self.native_id(i), text, "2026-09-01"]


class SurveyMonkey(CsvExport):
    connector = "surveymonkey"

    def header(self) -> list[list[str]]:
        meta = ["Respondent ID", "Collector ID", "Start Date", "End Date", "Email Address"]
        return [
            [*meta, "What should we improve?", "Which plan are you on?"],
            [*meta, "Open-Ended Response", "Response"],
        ]

    def row(self, i: int, text: str) -> list[str]:
        date = "09/01/2026 10:00:00 AM"
        return [self.native_id(i), "431298765", date, date, "x@example.com", text, "Business"]


class Qualtrics(CsvExport):
    connector = "qualtrics"
    file = "responses.csv"

    def native_id(self, i: int) -> str:
        return f"R_{i}abcdefghijklm"

    def header(self) -> list[list[str]]:
        tags = ["StartDate", "EndDate", "Finished", "RecordedDate", "ResponseId", "Q1"]
        ids = ["startDate", "endDate", "finished", "recordedDate", "_recordId", "QID1_TEXT"]
        return [
            tags,
            ["Start", "End", "Finished", "Recorded", "Response ID", "What should we improve?"],
            [json.dumps({"ImportId": i}) for i in ids],
        ]

    def row(self, i: int, text: str) -> list[str]:
        date = "2026-09-01 10:00:00"
        return [date, date, "1", date, self.native_id(i), text]


class Notes:
    """A folder of Markdown notes, one record each."""

    connector = "notes"
    options: ClassVar[dict[str, Any]] = {}

    def native_id(self, i: int) -> str:
        return f"note-{i}"

    def note(self, i: int, text: str) -> str:
        return f"---\nid: note-{i}\ntitle: Call {i}\n---\n# Call {i}\n\n{text}\n"

    def write(self, folder: Path, notes: list[str]) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for i, note in enumerate(notes):
            (folder / f"2026-09-0{i + 1}-call.md").write_bytes(note.encode("utf-8"))
        return folder


EXPORTS: dict[str, Any] = {
    e.connector: e
    for e in (
        Json(), Jsonl(), Zendesk(), Intercom(), Gong(), Slack(), Typeform(),
        Csv(), SurveyMonkey(), Qualtrics(), Notes(),
    )
}  # fmt: skip

# Which function converts one record, per connector: the "raise" case makes it raise.
# (module, function, which positional argument holds the record)
CONVERTERS = {
    "json": ("silobridge.extractors.generic", "_json_record", 1),
    "jsonl": ("silobridge.extractors.generic", "_json_record", 1),
    "zendesk": ("silobridge.extractors.zendesk", "_Reader._ticket", 1),
    "intercom": ("silobridge.extractors.intercom", "_record", 0),
    "gong": ("silobridge.extractors.gong", "_to_record", 1),
    "slack": ("silobridge.extractors.slack", "_to_message", 0),
    "typeform": ("silobridge.extractors.typeform", "_convert", 0),
    "csv": ("silobridge.extractors.generic", "_csv_row", 1),
    "surveymonkey": ("silobridge.extractors.surveymonkey", "_convert", 0),
    "qualtrics": ("silobridge.extractors.qualtrics", "_convert", 0),
    "notes": ("silobridge.extractors.notes", "_read_note", 0),
}


# --- the cases -----------------------------------------------------------------------------------


@dataclass
class Case:
    """What one hostile case does to an export, and what must come of it."""

    name: str
    kinds: tuple[str, ...]  # "json", "lines", "csv", "notes": the exports it applies to
    reason: str  # a regular expression the hostile record's quarantine reason matches
    cut: bool = False  # the file ends at or inside record K: only the records before it exist
    stored_hostile: bool = False  # the hostile record is a good one (stored, not quarantined)
    broke_off: bool = False  # the file is read again next run


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


DEPTH = r"^nested deeper than 200 levels \(\[limits\] max_depth\)$"
DIGITS = r"^a number of more than 1,000 digits \(\[limits\] max_digits\)$"
CASES = [
    Case("deep_10000", ("json", "lines"), DEPTH),
    Case("deep_500", ("json", "lines"), DEPTH),
    Case("int_5000_digits", ("json", "lines"), DIGITS),
    Case("int_2000_digits", ("json", "lines"), DIGITS),
    Case(
        "cut_at_boundary",
        ("json",),
        r"^file truncated after (record|transcript|message|item) 2 \(no closing \]\)$",
        cut=True,
        broke_off=True,
    ),
    Case(
        "cut_inside_record",
        ("json", "lines", "csv"),
        r"truncated|the file ends inside",
        cut=True,
        broke_off=True,
    ),
    Case("nul_byte", ("json", "lines"), r"^invalid JSON: Invalid control character"),
    Case("nul_byte_cell", ("csv", "notes"), r"", stored_hostile=True),
    Case("separators", ("json", "lines", "csv", "notes"), r"", stored_hostile=True),
    Case("huge_field", ("json", "lines", "csv"), r"^a (record|line|field) of [\d,]+ characters"),
    Case("unterminated_quote", ("csv",), r"^unterminated quoted field"),
    Case("connector_raises", ("json", "lines", "csv", "notes"), r"RuntimeError"),
]


def _kind(export: Any) -> str:
    if isinstance(export, Notes):
        return "notes"
    if isinstance(export, CsvExport):
        return "csv"
    return "lines" if export.lines else "json"


PARAMS = [
    pytest.param(name, case, id=f"{name}-{case.name}")
    for name, export in EXPORTS.items()
    for case in CASES
    if _kind(export) in case.kinds
]


def _hostile_text(case: Case) -> str:
    """The hostile record's text field (before any byte-level change)."""
    if case.name == "separators":
        return f"Separators {SEPARATORS} end"
    if case.name == "huge_field":
        return SECRET + " " + "a line of text\n" * 4_000  # 60,000 characters over 4,000 lines
    if case.name in ("nul_byte", "nul_byte_cell"):
        return f"{SECRET} NULHERE in the middle"
    if case.name == "connector_raises":
        return f"{SECRET} RAISEHERE"
    if case.name == "cut_inside_record":
        return f"{SECRET} cut\nhere in the middle of a long text"
    return f"{SECRET} hostile"


def _build(export: Any, case: Case, folder: Path) -> Path:
    """Write the export with record K made hostile; return the source's path."""
    texts = [f"Good record number {i} about exports" for i in range(N)]
    texts[K] = _hostile_text(case)
    kind = _kind(export)
    if kind == "notes":
        notes = [export.note(i, t) for i, t in enumerate(texts)]
        notes[K] = notes[K].replace("NULHERE", "\x00")
        return export.write(folder, notes)
    if kind == "csv":
        rows = [export.row(i, t) for i, t in enumerate(texts)]
        if case.name == "cut_inside_record":
            body = export.text(rows[: K + 1])
            body = body[: body.index("cut\nhere") + 4]  # inside the quoted cell
        elif case.name == "unterminated_quote":
            body = export.text(rows)
            line = export.text([rows[K]]).split("\r\n")[len(export.header())]
            bad = line.replace(texts[K], f'"{texts[K]} never closed')
            body = body.replace(line, bad)
        else:
            body = export.text(rows).replace("NULHERE", "\x00")
        return export.write(folder, body)
    records = [export.record(i, t) for i, t in enumerate(texts)]
    hostile = {
        "deep_10000": _deep(10_000),
        "deep_500": _deep(500),
        "int_5000_digits": "7" * 5_000,
        "int_2000_digits": "7" * 2_000,
    }.get(case.name)
    if hostile is not None:
        records[K]["extra"] = HOSTILE
    fragments = [json.dumps(r, ensure_ascii=False) for r in records]
    if hostile is not None:
        fragments[K] = fragments[K].replace(json.dumps(HOSTILE), hostile)
    fragments[K] = fragments[K].replace("NULHERE", "\x00")
    cut = {"cut_at_boundary": "boundary", "cut_inside_record": "inside"}.get(case.name)
    return export.write(folder, export.join(fragments, cut))


def _make_raise(monkeypatch: pytest.MonkeyPatch, connector: str) -> None:
    """Make the connector's record conversion raise for the hostile record (a connector bug)."""
    module_name, attr, position = CONVERTERS[connector]
    module = sys.modules[module_name]
    owner: Any = module
    *parents, name = attr.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    original = getattr(owner, name)

    def raising(*args: Any, **kwargs: Any) -> Any:
        if "RAISEHERE" in repr(args[position]):
            raise RuntimeError(f"boom on {SECRET}")  # the message quotes content: never shown
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, raising)


@pytest.mark.parametrize(("connector", "case"), PARAMS)
def test_hostile_record_is_quarantined_and_every_good_record_stored(
    connector: str, case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    export = EXPORTS[connector]
    if case.name == "connector_raises":
        _make_raise(monkeypatch, connector)
    path = _build(export, case, tmp_path / "export")
    source = make_source(connector, path, **export.options)
    store_path = tmp_path / "store"

    counts = run_ingest(store_path, [source]).totals
    store = silobridge.open_store(store_path)
    items, quarantine = store.items(), store.quarantine()

    # Every good record is stored; the hostile one is quarantined (or stored, if it is good).
    expected = {export.native_id(i) for i in range(K if case.cut else N)}
    if not case.stored_hostile:
        expected.discard(export.native_id(K))
    stored = set(items["native_id"])
    assert stored == expected, f"lost {expected - stored}, unexpected {stored - expected}"
    # The books balance.
    assert counts.read == counts.new + counts.updated + counts.unchanged + counts.duplicate + (
        counts.quarantined
    )
    assert counts.quarantined == len(quarantine)
    # The hostile record's quarantine row: address, reason, no content in the reason.
    for row in quarantine.itertuples():
        assert row.source_path and row.locator and row.reason
        for shown in (row.reason, row.locator):
            assert "jane.doe" not in shown and "4111" not in shown
            assert "RAISEHERE" not in shown and "NULHERE" not in shown
    if case.stored_hostile:
        assert quarantine.empty, list(quarantine["reason"])
        hostile = items.set_index("native_id").loc[export.native_id(K), "text"]
        assert "end" in hostile or "in the middle" in hostile
    else:
        assert any(re.search(case.reason, r) for r in quarantine["reason"]), list(
            quarantine["reason"]
        )
    # A file that broke off is read again next run; one read to its end is not. (A note is one
    # file: a connector that raises on it leaves it unread, like a file that broke off.)
    again = run_ingest(store_path, [source]).totals
    if case.broke_off or (connector, case.name) == ("notes", "connector_raises"):
        assert again.files_read >= 1  # the file that broke off (the others are unchanged)
        assert again.new == 0  # its records dedupe
    else:
        assert (again.files_read, again.read) == (0, 0)
        assert again.files_unchanged >= 1


def test_bad_records_met_again_keep_when_they_were_first_seen(tmp_path: Path):
    """The quarantine is buffered and deduplicated in Arrow: a re-read adds no row, and each
    row keeps its first run, including two bad lines with the same reason."""
    path = tmp_path / "bad.jsonl"
    lines = [json.dumps({"id": str(i), "body": "fine"}) for i in range(3)]
    path.write_text("\n".join([*lines, "{broken", "{broken", json.dumps({"id": "9"})]) + "\n")
    source = make_source("jsonl", path, **Jsonl.options)
    first = run_ingest(tmp_path / "store", [source], run_id="run-1")
    again = run_ingest(tmp_path / "store", [source], run_id="run-2", full=True)
    quarantine = silobridge.open_store(tmp_path / "store").quarantine()
    assert (first.quarantine_added, again.quarantine_added) == (3, 0)
    assert again.totals.quarantined == len(quarantine) == 3
    assert set(quarantine["first_run_id"]) == {"run-1"}
    assert set(quarantine["last_run_id"]) == {"run-2"}


def test_every_file_connector_is_covered():
    from silobridge.extractors import all_connectors

    file_connectors = {n for n, s in all_connectors().items() if s.layout != "database"}
    assert file_connectors == set(EXPORTS)


# --- the readers, property-based -----------------------------------------------------------------

_cell = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",), blacklist_characters="\x00\r"
    ),  # \r alone is a line end
    max_size=30,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_cell, min_size=3, max_size=3), min_size=1, max_size=8))
def test_csv_rows_read_back_exactly_whatever_their_cells_hold(rows: list[list[str]]):
    """U+2028, \\x0b, \\x0c, \\x1c-\\x1e, \\x85, quotes and newlines in cells never split a row."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([["a", "b", "c"], *rows])
    got = [i for i in iter_csv_rows(out.getvalue(), "f.csv") if not isinstance(i, tuple)]
    expected = [r for r in rows if any(c.strip() for c in r)]
    assert all(isinstance(i, CsvRow) for i in got), got
    assert [i.cells for i in got] == expected


_scalar = st.none() | st.booleans() | st.integers() | st.text(max_size=12)
_record = st.dictionaries(
    st.sampled_from(["id", "text", "tags", "n", "author"]),
    _scalar | st.lists(_scalar, max_size=3) | st.dictionaries(st.just("name"), _scalar),
    max_size=4,
)


@settings(max_examples=120, deadline=None)
@given(st.lists(_record, max_size=6), st.data())
def test_json_array_cut_anywhere_keeps_every_record_before_the_cut(
    records: list[dict[str, Any]], data: st.DataObject
):
    fragments = [json.dumps(r) for r in records]
    text = "[" + ", ".join(fragments) + "]"
    ends = [len("[" + ", ".join(fragments[: i + 1])) for i in range(len(records))]
    cut = data.draw(st.integers(min_value=1, max_value=len(text)))
    out = list(iter_json_records(text[:cut], "f.json"))
    # Every record wholly before the cut comes back, in order, and nothing else; a file cut
    # short ends with a BrokenOff (the ingest stage reads it again next run).
    got = [value for item in out if not isinstance(item, Rejected) for value in item[1:]]
    assert got == records[: sum(1 for end in ends if end <= cut)]
    rejected = [item for item in out if isinstance(item, Rejected)]
    if cut < len(text):
        assert len(rejected) == 1 and isinstance(rejected[0], BrokenOff)
    else:
        assert rejected == []


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_record, min_size=1, max_size=6),
    st.data(),
    st.text(alphabet='{}[],:"\\ \n0a', min_size=1, max_size=4),
)
def test_json_array_with_stray_brackets_ends_and_yields_each_element_once(
    records: list[dict[str, Any]], data: st.DataObject, junk: str
):
    """Damage anywhere (a stray ``}``, ``]``, quote or comma) never makes the reader loop: it
    ends, gives at most one outcome per element, and keeps the records before the damage."""
    text = "[" + ", ".join(json.dumps(r) for r in records) + "]"
    at = data.draw(st.integers(min_value=1, max_value=len(text) - 1))
    damaged = text[:at] + junk + text[at:]
    out = list(itertools.islice(iter_json_records(damaged, "f.json"), 10 * len(damaged)))
    assert len(out) <= damaged.count(",") + 2
    intact = [json.loads(json.dumps(r)) for r in records]
    got = [value for item in out if not isinstance(item, Rejected) for value in item[1:]]
    before = [r for r, end in zip(intact, _ends(records), strict=True) if end < at]
    assert got[: max(len(before) - 1, 0)] == before[: max(len(before) - 1, 0)]


def _ends(records: list[dict[str, Any]]) -> list[int]:
    fragments = [json.dumps(r) for r in records]
    return [len("[" + ", ".join(fragments[: i + 1])) for i in range(len(records))]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.one_of(
            _record.map(lambda r: ("record", json.dumps(r, ensure_ascii=False))),
            st.text(max_size=15).map(lambda t: ("junk", "{" + t.replace("\n", " ") + "\x00")),
        ),
        max_size=8,
    )
)
def test_jsonl_nul_or_junk_spoils_only_its_own_line(lines: list[tuple[str, str]]):
    text = "".join(line + "\n" for _, line in lines)
    out = list(files.iter_jsonl(text, "f.jsonl"))
    assert [v for item in out if not isinstance(item, Rejected) for v in item[1:]] == [
        json.loads(line) for kind, line in lines if kind == "record"
    ]
    bad = [item.locator for item in out if isinstance(item, Rejected)]
    assert bad == [f"line {n}" for n, (kind, _) in enumerate(lines, 1) if kind == "junk"]


# --- memory --------------------------------------------------------------------------------------

# Peak RSS from VmHWM: ru_maxrss would count the parent's memory at the fork (Linux keeps the
# high-water mark across exec), and this test runs inside a pytest that has loaded the models.
_RSS_SCRIPT = """
import sys
from pathlib import Path
from silobridge.config import make_source
from silobridge.pipeline.ingest import run_ingest
path = Path(sys.argv[1])
source = make_source("hostile", {
    "connector": "csv", "path": str(path), "channel": "survey",
    "mapping": {"native_id": "id", "text": "comment"},
}, base_dir=path.parent)
counts = run_ingest(path.parent / "store", [source]).totals
status = open("/proc/self/status").read()
peak = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
print(counts.new, counts.quarantined, peak)
"""


@pytest.mark.slow
def test_hostile_csv_of_20_mb_keeps_memory_bounded(tmp_path: Path):
    """A 20 MB quoted multi-line cell is one quarantined row, in bounded memory and time."""
    path = tmp_path / "hostile.csv"
    field = "lorem ipsum dolor sit amet, consectetur\n" * 500_000  # 20,000,000 characters
    path.write_text(f'id,comment\n1,ok\n2,"{field}"\n3,fine\n', encoding="utf-8")
    size = path.stat().st_size
    done = subprocess.run(
        [sys.executable, "-c", _RSS_SCRIPT, str(path)],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    new, quarantined, peak_kib = map(int, done.stdout.split())
    assert (new, quarantined) == (2, 1)
    peak = peak_kib * 1024
    assert peak <= 20 * size + 300 * 1024 * 1024, (peak, size)
