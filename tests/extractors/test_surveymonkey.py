"""The SurveyMonkey connector on the fixture CSV export (two header rows) and on small files."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from silobridge.errors import ConfigError
from silobridge.extractors.base import Record, Rejected, Skipped
from silobridge.extractors.registry import get_connector
from silobridge.extractors.surveymonkey import read_surveymonkey

FIXTURES = Path(__file__).parent.parent / "fixtures" / "surveymonkey"
V1 = FIXTURES / "v1" / "export.csv"
V2 = FIXTURES / "v2" / "export.csv"
NPS = "How likely is it that you would recommend Acme Analytics to a friend or colleague?"
FEATURES = "Which features does your team use? (Check all that apply)"
IMPROVE = "What is the one thing we should improve?"
ELSE = "Anything else you’d like to tell us?"

HEADER = (
    "Respondent ID,Collector,Start Date,End Date,IP Address,Email Address,Custom Data 1,"
    "Which plan are you on?,What could we do better?\r\n"
    "Respondent ID,Collector,Start Date,End Date,IP Address,Email Address,Custom Data 1,"
    "Response,Response\r\n"
)


def _read(path: Path, **options) -> list[Record | Rejected | Skipped]:
    return list(read_surveymonkey(path, **options))


def _records(path: Path, **options) -> dict[str, Record]:
    return {r.native_id: r for r in _read(path, **options) if isinstance(r, Record)}


def _write(tmp_path: Path, text: str, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def test_surveymonkey_registered_as_files_survey_connector():
    spec = get_connector("surveymonkey")
    assert (spec.layout, spec.channel, spec.formats) == ("files", "survey", ("csv",))
    assert spec.options == {
        "encoding": "utf-8",
        "tz": "UTC",
        "dayfirst": False,
        "text_columns": None,
        "account_column": None,
    }


def test_surveymonkey_fixture_is_a_real_looking_export():
    data = V1.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    assert "\u00a0".encode() in data and "’".encode() in data


def test_surveymonkey_fixture_counts_match_expected():
    expected = json.loads((FIXTURES / "expected.json").read_text())
    results = _read(FIXTURES / expected["path"], **expected["options"])
    records = [r for r in results if isinstance(r, Record)]
    empty = [r for r in records if not r.text]
    assert len(records) - len(empty) == expected["stored"]
    # a record with no text is skipped by the ingest stage, not quarantined
    assert sum(isinstance(r, Rejected) for r in results) == expected["quarantined"]
    assert sum(isinstance(r, Skipped) for r in results) + len(empty) == expected["skipped"]


def test_surveymonkey_text_is_the_open_ended_answers_one_per_line():
    records = _records(V1)
    first = records["114823390211"]
    # an "Open-Ended Response" column, then a "Response" column that holds typed sentences
    assert first.text == (
        "Let us pin a dashboard as the team’s default view.\n"
        "Support solved our SSO issue within an hour – great job!"  # U+00A0 made a space
    )
    assert first.metadata["text_fields"] == [IMPROVE, ELSE]
    assert [p.role for p in first.parts] == ["customer", "customer"]
    # "Other (please specify)" is typed text too; a quoted answer may span lines
    assert records["114823391877"].text.splitlines()[0] == "SAP connector"
    assert records["114823395502"].text.splitlines()[:2] == [
        "Alert emails land in spam for half of our clinics.",
        "We had to whitelist three domains by hand.",
    ]


def test_surveymonkey_picked_answers_go_to_metadata():
    answers = _records(V1)["114823390211"].metadata["answers"]
    assert answers == {
        NPS: 9,
        FEATURES: ["Dashboards", "Scheduled exports"],
        "Which plan are you on?": "Business",
        "How satisfied are you with each of the following?": {
            "Onboarding": "Very satisfied",
            "Support": "Satisfied",
            "Reporting": "Satisfied",
        },
    }


def test_surveymonkey_personal_columns_stay_out_of_records():
    for record in _records(V1, account_column="Custom Data 1").values():
        dumped = json.dumps([record.text, record.metadata, record.account], ensure_ascii=False)
        assert "@" not in dumped
        assert "203.0.113" not in dumped and "198.51.100" not in dumped
        assert "Whitfield" not in dumped and "Haruto" not in dumped


def test_surveymonkey_account_column_option():
    assert (
        _records(V1, account_column="Custom Data 1")["114823390211"].account
        == "Northwind Logistics"
    )
    plain = _records(V1)["114823390211"]
    assert plain.account is None
    assert plain.metadata["custom"] == {"Custom Data 1": "Northwind Logistics"}
    assert plain.metadata["collector_id"] == "431298765"


def test_surveymonkey_excel_serial_and_us_dates_are_utc(tmp_path: Path):
    records = _records(V1)
    # 46267.59127 days after 1899-12-30
    assert records["114823390211"].created_at == datetime(2026, 9, 2, 14, 11, 26, tzinfo=UTC)
    assert records["114823391877"].created_at == datetime(2026, 9, 2, 14, 14, 7, tzinfo=UTC)
    berlin = _records(V1, tz="Europe/Berlin")
    assert berlin["114823390211"].created_at == datetime(2026, 9, 2, 12, 11, 26, tzinfo=UTC)
    assert berlin["114823391877"].created_at == datetime(2026, 9, 2, 12, 14, 7, tzinfo=UTC)


def test_surveymonkey_dayfirst_option(tmp_path: Path):
    row = "1001,Web Link 1,01/02/2026 10:00:00 AM,01/02/2026 10:05:00 AM,,,,Pro,Faster exports\r\n"
    path = _write(tmp_path, HEADER + row)
    assert _records(path)["1001"].created_at == datetime(2026, 1, 2, 10, 5, tzinfo=UTC)
    assert _records(path, dayfirst=True)["1001"].created_at == datetime(
        2026, 2, 1, 10, 5, tzinfo=UTC
    )


def test_surveymonkey_bad_rows_rejected_with_locator_and_the_rest_read():
    results = _read(V1)
    rejected = [(r.locator, r.reason) for r in results if isinstance(r, Rejected)]
    assert rejected == [
        ("row 4 (line 7)", "expected 21 columns, found 11"),
        (
            "response 114823401266",
            "bytes that are not valid utf-8; set the source's encoding option "
            "(for example encoding = 'cp1252')",
        ),
        (
            "row 7 (line 10)",
            "Respondent ID: in scientific notation (digits lost in Excel); re-export the CSV",
        ),
    ]
    bad_bytes = [r for r in results if isinstance(r, Rejected)][1]
    assert bad_bytes.raw.startswith("114823401266,") and "\\x93" in bad_bytes.raw
    assert len(_records(V1)) == 4


def test_surveymonkey_cp1252_file_reads_with_the_encoding_option(tmp_path: Path):
    dates = "09/01/2026 10:00:00 AM,09/01/2026 10:05:00 AM"
    row = f"1001,Web Link 1,{dates},,,,Pro,“Faster” exports please\r\n"
    path = tmp_path / "export.csv"
    path.write_bytes((HEADER + row).encode("cp1252"))
    assert isinstance(_read(path)[0], Rejected)
    assert _records(path, encoding="cp1252")["1001"].text == "“Faster” exports please"


def test_surveymonkey_row_with_no_typed_answer_has_empty_text():
    record = _records(V1)["114823398040"]
    assert record.text == "" and record.parts == []
    assert record.metadata["answers"][NPS] == 10


def test_surveymonkey_text_columns_overrides_the_guess(tmp_path: Path):
    records = _records(V1, text_columns=[IMPROVE])
    assert records["114823390211"].text == "Let us pin a dashboard as the team’s default view."
    assert records["114823390211"].metadata["answers"][ELSE] == (
        "Support solved our SSO issue within an hour – great job!"
    )
    plan = _records(V1, text_columns=["which plan are you on?"])["114823390211"]
    assert plan.text == "Business"


def test_surveymonkey_unknown_text_column_is_logged_not_raised(caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.WARNING):
        records = _records(V1, text_columns=["No such question"])
    assert "text_columns names 'No such question'" in caplog.text
    assert all(r.text == "" for r in records.values())


def test_surveymonkey_short_repeated_response_columns_are_not_text(tmp_path: Path):
    rows = "".join(
        f"{1000 + i},Web Link 1,09/01/2026 10:00:00 AM,09/01/2026 10:05:00 AM,,,,{plan},{text}\r\n"
        for i, (plan, text) in enumerate(
            [
                ("Pro", "The API docs need more examples for pagination"),
                ("Pro", "Slow dashboards when filtering by region"),
                ("Enterprise", ""),
                ("Pro", "Please add SSO for our contractors"),
            ]
        )
    )
    records = _records(_write(tmp_path, HEADER + rows))
    assert records["1000"].text == "The API docs need more examples for pagination"
    assert records["1000"].metadata["answers"] == {"Which plan are you on?": "Pro"}
    assert records["1002"].text == ""


def test_surveymonkey_garbled_row_one_metadata_names_are_read_from_row_two(tmp_path: Path):
    header = (
        "Respondent ID,Exported by jdoe.Start Date,End Date,Collector,What could we do better?\r\n"
        "Respondent ID,Start Date,End Date,Collector,Open-Ended Response\r\n"
    )
    row = "1001,43290.53487,43290.54118,Email Invitation 1,More granular roles\r\n"
    record = _records(_write(tmp_path, header + row))["1001"]
    assert record.created_at == datetime(2018, 7, 9, 12, 59, 18, tzinfo=UTC)
    assert record.metadata["collector"] == "Email Invitation 1"
    assert record.text == "More granular roles"


def test_surveymonkey_contact_information_boxes_are_counted_not_kept(tmp_path: Path):
    header = (
        "Respondent ID,End Date,Contact details,,,Why did you cancel?\r\n"
        "Respondent ID,End Date,Name,Company,Email Address,Open-Ended Response\r\n"
    )
    row = "1001,09/01/2026 10:00:00 AM,Ana Ruiz,Globex,ana@globex.example,Too expensive\r\n"
    path = _write(tmp_path, header + row)
    record = _records(path, account_column="Company")["1001"]
    assert record.account == "Globex"
    assert record.metadata["contact_fields"] == 2
    assert "Ana" not in json.dumps(record.metadata) and record.text == "Too expensive"


def test_surveymonkey_missing_id_and_bad_date_are_rejected(tmp_path: Path):
    rows = (
        ",Web Link 1,09/01/2026 10:00:00 AM,09/01/2026 10:05:00 AM,,,,Pro,Faster exports\r\n"
        "1002,Web Link 1,09/01/2026 10:00:00 AM,someday,,,,Pro,Faster exports\r\n"
        "1003,Web Link 1,,,,,,Pro,Faster exports\r\n"
    )
    results = _read(_write(tmp_path, HEADER + rows))
    assert [(r.locator, r.reason) for r in results] == [
        ("row 1 (line 3)", "missing required field 'Respondent ID'"),
        ("response 1002", "End Date: not a recognisable timestamp"),
        ("response 1003", "missing required field 'End Date'"),
    ]


def test_surveymonkey_unknown_zone_is_a_config_error():
    with pytest.raises(ConfigError, match="Europe/Berlin"):
        _read(V1, tz="Berlin")


def test_surveymonkey_header_only_and_empty_files(tmp_path: Path):
    assert _read(_write(tmp_path, HEADER, "header.csv")) == []
    (empty,) = _read(_write(tmp_path, "", "empty.csv"))
    assert isinstance(empty, Rejected) and empty.locator == "file"


def test_surveymonkey_changed_response_has_new_text_and_newer_date():
    old, new = _records(V1)["114823391877"], _records(V2)["114823391877"]
    assert new.created_at > old.created_at and new.text != old.text
    others = [i for i in _records(V1) if i != "114823391877"]
    assert [_records(V1)[i].raw for i in others] == [_records(V2)[i].raw for i in others]


def test_surveymonkey_rating_labels_in_a_response_column_are_not_text(tmp_path: Path):
    header = (
        "Respondent ID,End Date,How critical is the product to your team?,Why?\r\n"
        "Respondent ID,End Date,Response,Response\r\n"
    )
    rows = (
        "1001,09/01/2026 10:00:00 AM,2 – Very critical,We run month-end close on it\r\n"
        "1002,09/01/2026 11:00:00 AM,1 – Extremely critical,All client reporting depends on it\r\n"
    )
    records = _records(_write(tmp_path, header + rows))
    assert records["1001"].text == "We run month-end close on it"
    assert records["1002"].metadata["answers"] == {
        "How critical is the product to your team?": "1 – Extremely critical"
    }
