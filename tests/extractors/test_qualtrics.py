"""The Qualtrics connector on the fixture CSV export (three header rows) and on small files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from silobridge.errors import ConfigError
from silobridge.extractors.base import Record, Rejected, Skipped
from silobridge.extractors.qualtrics import read_qualtrics
from silobridge.extractors.registry import get_connector

FIXTURES = Path(__file__).parent.parent / "fixtures" / "qualtrics"
V1 = FIXTURES / "v1" / "responses.csv"
V2 = FIXTURES / "v2" / "responses.csv"
OSTERFELD = "R_3kX9aPq2Lm7ZbN1"
NORTHWIND = "R_1dF4gH6jK8lM0nP"
UNFINISHED = "R_2qW3eR4tY5uI6oP"

# The shape of qualtRics' sample_legacy.csv [QX]: V1..V10 + tags, labels, a trailing empty column.
LEGACY = (
    "\ufeffV1,V2,V3,V4,V5,V6,V7,V8,V9,V10,Q1,Q2,Q3,LocationLatitude,LocationLongitude,"
    "LocationAccuracy,\n"
    "ResponseID,ResponseSet,Name,ExternalDataReference,EmailAddress,IPAddress,Status,StartDate,"
    "EndDate,Finished,How likely are you to recommend us?,What should we improve?,Your plan,"
    "LocationLatitude,LocationLongitude,LocationAccuracy,\n"
    "R_2YPOQ602ER1jkf1,Default Response Set,Anonymous,ACME-77,ana@globex.example,130.92.34.66,0,"
    "2017-07-18 08:28:09,2017-07-18 08:28:48,1,9,The audit log export needs a date filter.,2,"
    "47.115097045898,7.2315979003906,-1,\n"
    "R_0b1Sx9PLmQe4rT2,Default Response Set,Anonymous,ACME-78,,130.92.34.70,0,"
    "2017-07-19 10:00:00,2017-07-19 10:04:00,1,4,Search is slow on large workspaces.,1,,,-1,\n"
)


def _read(path: Path, **options) -> list[Record | Rejected | Skipped]:
    return list(read_qualtrics(path, **options))


def _records(path: Path, **options) -> dict[str, Record]:
    return {r.native_id: r for r in _read(path, **options) if isinstance(r, Record)}


def _write(tmp_path: Path, text: str, name: str = "responses.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def test_qualtrics_registered_as_files_survey_connector():
    spec = get_connector("qualtrics")
    assert (spec.layout, spec.channel, spec.formats) == ("files", "survey", ("csv",))
    assert spec.options == {
        "encoding": "utf-8",
        "tz": "UTC",
        "text_columns": None,
        "account_column": "ExternalReference",
    }


def test_qualtrics_fixture_counts_match_expected():
    expected = json.loads((FIXTURES / "expected.json").read_text())
    results = _read(FIXTURES / expected["path"], **expected["options"])
    records = [r for r in results if isinstance(r, Record)]
    empty = [r for r in records if not r.text]
    assert len(records) - len(empty) == expected["stored"]
    # a record with no text is skipped by the ingest stage, not quarantined
    assert sum(isinstance(r, Rejected) for r in results) == expected["quarantined"]
    assert sum(isinstance(r, Skipped) for r in results) + len(empty) == expected["skipped"]


def test_qualtrics_text_is_the_text_entry_answers_by_import_id():
    records = _records(V1)
    osterfeld = records[OSTERFELD]
    assert osterfeld.text == (
        "Die Berichte sind gut, aber der PDF-Export bricht bei mehr als 50 Seiten ab.\n"
        "Eine SAP-Schnittstelle für Auftragsdaten."
    )
    assert osterfeld.metadata["text_fields"] == ["Q2", "Q5"]
    assert (
        osterfeld.metadata["questions"]["Q2"] == "Was ist der wichtigste Grund für Ihre Bewertung?"
    )
    assert {p.role for p in osterfeld.parts} == {"customer"}
    # the text typed into an "Other" choice (QID4_5_TEXT) is text as well
    assert records[NORTHWIND].text.splitlines()[1] == "Our own SAP connector built on the API"


def test_qualtrics_text_analytics_columns_are_ignored():
    osterfeld = _records(V1)[OSTERFELD]
    assert "PDF Export" not in osterfeld.text and "Negative" not in osterfeld.text
    dumped = json.dumps(osterfeld.metadata, ensure_ascii=False)
    assert "Topics" not in dumped and "Sentiment" not in dumped


def test_qualtrics_coded_answers_and_embedded_data_go_to_metadata():
    metadata = _records(V1)[OSTERFELD].metadata
    assert metadata["answers"] == {"Q1": 6, "Q3": 2, "Q4": 1}
    assert metadata["embedded"] == {
        "Company": "Osterfeld Maschinenbau GmbH",
        "plan_tier": "business",
    }
    assert metadata["status"] == 0 and metadata["progress"] == 100
    assert metadata["duration_s"] == 464 and metadata["language"] == "DE"


def test_qualtrics_unfinished_response_is_kept_and_flagged():
    records = _records(V1)
    assert records[UNFINISHED].metadata["finished"] is False
    assert records[UNFINISHED].metadata["progress"] == 45
    assert records[UNFINISHED].text == "Die Ladezeiten am Monatsende sind inakzeptabel."
    assert records[OSTERFELD].metadata["finished"] is True


def test_qualtrics_personal_columns_stay_out_of_records():
    for record in _records(V1).values():
        dumped = json.dumps([record.text, record.metadata, record.account], ensure_ascii=False)
        assert "@" not in dumped and "203.0.113" not in dumped
        assert "Becker" not in dumped and "Jonas" not in dumped and "48.13" not in dumped


def test_qualtrics_account_is_external_reference_or_the_named_column():
    assert _records(V1)[OSTERFELD].account == "0015g00000XyZ12AAB"
    by_company = _records(V1, account_column="Company")[OSTERFELD]
    assert by_company.account == "Osterfeld Maschinenbau GmbH"
    assert "Company" not in by_company.metadata["embedded"]
    assert by_company.metadata["external_reference"] == "0015g00000XyZ12AAB"
    assert _records(V1, account_column=None)[OSTERFELD].account is None
    assert _records(V1, account_column="")[OSTERFELD].account is None  # TOML has no null


def test_qualtrics_recorded_date_read_in_tz_as_utc():
    assert _records(V1)[OSTERFELD].created_at == datetime(2026, 9, 1, 8, 19, 48, tzinfo=UTC)
    berlin = _records(V1, tz="Europe/Berlin")[OSTERFELD]
    assert berlin.created_at == datetime(2026, 9, 1, 6, 19, 48, tzinfo=UTC)
    assert berlin.updated_at == berlin.created_at


def test_qualtrics_bad_rows_rejected_with_locator_and_the_rest_read():
    results = _read(V1)
    rejected = [(r.locator, r.reason) for r in results if isinstance(r, Rejected)]
    assert rejected == [
        ("row 5 (line 8)", "expected 27 columns, found 12"),
        ("row 6 (line 9)", "missing required field 'ResponseId'"),
        ("response R_9aS8dF7gH6jK5lZ", "RecordedDate: not a recognisable timestamp"),
    ]
    assert all(r.raw for r in results if isinstance(r, Rejected))
    assert len(_records(V1)) == 4


def test_qualtrics_legacy_export_with_two_header_rows(tmp_path: Path):
    records = _records(_write(tmp_path, LEGACY))
    assert list(records) == ["R_2YPOQ602ER1jkf1", "R_0b1Sx9PLmQe4rT2"]
    first = records["R_2YPOQ602ER1jkf1"]
    assert first.text == "The audit log export needs a date filter."
    assert first.metadata["answers"] == {"Q1": 9, "Q3": 2}
    assert first.metadata["finished"] is True
    assert first.created_at == datetime(2017, 7, 18, 8, 28, 48, tzinfo=UTC)  # EndDate
    assert first.account == "ACME-77"  # ExternalDataReference
    dumped = json.dumps([first.text, first.metadata], ensure_ascii=False)
    assert "@" not in dumped and "Anonymous" not in dumped and "130.92" not in dumped


def test_qualtrics_legacy_text_columns_option(tmp_path: Path):
    path = _write(tmp_path, LEGACY)
    record = _records(path, text_columns=["Q2", "q3"])["R_2YPOQ602ER1jkf1"]
    assert record.text == "The audit log export needs a date filter.\n2"
    assert record.metadata["answers"] == {"Q1": 9}


def test_qualtrics_export_with_header_rows_cut_keeps_its_first_response(tmp_path: Path):
    lines = V1.read_text(encoding="utf-8").splitlines(keepends=True)
    path = _write(tmp_path, lines[0] + "".join(lines[3:]))
    records = _records(path)
    assert OSTERFELD in records
    assert records[OSTERFELD].text == _records(V1)[OSTERFELD].text  # free text guessed


def test_qualtrics_seen_but_unanswered_code_is_no_text(tmp_path: Path):
    lines = V1.read_text(encoding="utf-8").splitlines(keepends=True)
    row = lines[3].replace("Eine SAP-Schnittstelle für Auftragsdaten.", "-99")
    records = _records(_write(tmp_path, "".join(lines[:3]) + row))
    assert records[OSTERFELD].text.splitlines() == [
        "Die Berichte sind gut, aber der PDF-Export bricht bei mehr als 50 Seiten ab."
    ]


def test_qualtrics_invalid_utf8_rejects_only_that_response(tmp_path: Path):
    data = V1.read_bytes().replace(b"Eine SAP-Schnittstelle", b"Eine \xe4SAP", 1)
    path = tmp_path / "responses.csv"
    path.write_bytes(data)
    results = _read(path)
    bad = [r for r in results if isinstance(r, Rejected) and "encoding" in r.reason]
    assert [r.locator for r in bad] == [f"response {OSTERFELD}"]
    assert NORTHWIND in _records(path) and OSTERFELD not in _records(path)


def test_qualtrics_choice_text_export_reads_true_false_finished(tmp_path: Path):
    text = V1.read_text(encoding="utf-8").replace(",100,464,1,", ",100,464,True,", 1)
    assert _records(_write(tmp_path, text))[OSTERFELD].metadata["finished"] is True
    broken = V1.read_text(encoding="utf-8").replace(",100,464,1,", ",100,464,maybe,", 1)
    (bad,) = [r for r in _read(_write(tmp_path, broken)) if r.locator == f"response {OSTERFELD}"]
    assert isinstance(bad, Rejected) and bad.reason == "Finished: expected 1 or 0"


def test_qualtrics_unknown_zone_is_a_config_error():
    with pytest.raises(ConfigError, match="IANA"):
        _read(V1, tz="Mars/Olympus")


def test_qualtrics_changed_response_has_new_text_and_newer_date():
    old, new = _records(V1)[OSTERFELD], _records(V2)[OSTERFELD]
    assert new.created_at > old.created_at and new.text != old.text
    others = [i for i in _records(V1) if i != OSTERFELD]
    assert [_records(V1)[i].raw for i in others] == [_records(V2)[i].raw for i in others]
