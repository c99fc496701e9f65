"""Behaviour of the Gong connector on saved /v2/calls/transcript and /v2/calls/extensive pages."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from silobridge.extractors.base import Record, Rejected, Skipped
from silobridge.extractors.gong import read_gong

FIXTURES = Path(__file__).parent.parent / "fixtures" / "gong"
ACME = "7782342274025937895"


def _read(path: Path, **options):
    out = list(read_gong(path, **options))
    records = {r.native_id: r for r in out if isinstance(r, Record)}
    rejected = [r for r in out if isinstance(r, Rejected)]
    skipped = [r for r in out if isinstance(r, Skipped)]
    return records, rejected, skipped


def _call(call_id, started="2026-03-02T10:00:00-05:00", parties=None, context=None):
    return {
        "metaData": {"id": call_id, "title": "Weekly sync", "started": started, "duration": 600},
        "parties": parties
        if parties is not None
        else [
            {"id": "1", "name": "Dana Whitfield", "speakerId": "11", "affiliation": "Internal"},
            {"id": "2", "name": "Marcus Lee", "speakerId": "22", "affiliation": "External"},
        ],
        "context": context or [],
    }


def _transcript(call_id, *monologues):
    return {"callId": call_id, "transcript": list(monologues)}


def _mono(speaker, start, text, topic=None):
    m = {"speakerId": speaker, "sentences": [{"start": start, "end": start + 1000, "text": text}]}
    if topic:
        m["topic"] = topic
    return m


def _write(folder: Path, name: str, doc) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_gong_one_record_per_call_with_speakers_and_roles():
    records, _, _ = _read(FIXTURES / "v1")

    assert sorted(records) == sorted(
        [ACME, "5183920045718293001", "901234567890123456", "12345678901234567890"]
    )
    acme = records[ACME]
    assert [(p.speaker, p.role) for p in acme.parts] == [
        ("Dana Whitfield", "internal"),
        ("Marcus Lee", "customer"),
        ("Marcus Lee", "customer"),
        ("Dana Whitfield", "internal"),
    ]
    assert acme.parts[0].text == (
        "Hi Marcus, thanks for making time today. "
        "I wanted to check in before the renewal next month."
    )
    brightwave = records["5183920045718293001"]
    assert ("Phone Caller #1", "unknown") in [(p.speaker, p.role) for p in brightwave.parts]


def test_gong_timestamps_are_utc_started_plus_sentence_milliseconds():
    records, _, _ = _read(FIXTURES / "v1")
    acme = records[ACME]

    # started 2026-03-02T10:00:00-05:00; the third monologue starts 61000 ms into the call.
    assert acme.created_at == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    assert acme.updated_at == acme.created_at
    assert acme.parts[1].timestamp == datetime(2026, 3, 2, 15, 0, 8, 800000, tzinfo=UTC)
    assert acme.parts[2].timestamp == datetime(2026, 3, 2, 15, 1, 1, tzinfo=UTC)
    assert all(p.timestamp.utcoffset().total_seconds() == 0 for p in acme.parts)


def test_gong_title_account_and_metadata_come_from_call_metadata():
    records, _, _ = _read(FIXTURES / "v1")
    acme = records[ACME]

    assert acme.title == "Acme Logistics | Renewal check-in"
    assert acme.account == "Acme Logistics"
    assert acme.metadata["duration_s"] == 1860
    assert acme.metadata["topics"] == ["Call Setup", "Product Feedback"]
    assert acme.metadata["parties"] == 2
    assert acme.metadata["scope"] == "External"
    assert acme.metadata["language"] == "eng"
    assert records["901234567890123456"].account is None  # no CRM context on that call
    assert acme.locator == f"call {ACME}"


def test_gong_twenty_digit_call_id_given_as_json_number_stays_exact():
    records, _, _ = _read(FIXTURES / "v1")

    fabrikam = records["12345678901234567890"]
    assert fabrikam.title == "Fabrikam pricing follow-up"
    assert fabrikam.account == "Fabrikam AG"


def test_gong_bad_records_are_rejected_with_locators_and_the_rest_read():
    records, rejected, skipped = _read(FIXTURES / "v1")

    found = {(Path(r.path).name, r.locator): r.reason for r in rejected}
    assert found.keys() == {
        ("transcripts-2026-03-p1.json", "call 3344556677889900112"),
        ("transcripts-2026-03-p1.json", "call 1122334455667788990"),
        ("transcripts-2026-03-p2.json", "transcript 2 (line 32)"),
    }
    no_meta = found[("transcripts-2026-03-p1.json", "call 3344556677889900112")]
    assert "created_at unknown" in no_meta and "/v2/calls/extensive" in no_meta
    assert found[("transcripts-2026-03-p1.json", "call 1122334455667788990")] == (
        "field 'transcript' is not an array"
    )
    assert found[("transcripts-2026-03-p2.json", "transcript 2 (line 32)")].startswith(
        "truncated JSON"
    )
    assert all(r.raw for r in rejected)
    # The good call before the truncated one on the same page still lands.
    assert "12345678901234567890" in records
    assert [(s.locator, s.reason) for s in skipped] == [
        ("call 6655443322110099887", "call has no transcript")
    ]


def test_gong_changed_transcript_in_v2_has_the_extra_monologue():
    v1, _, _ = _read(FIXTURES / "v1")
    v2, _, _ = _read(FIXTURES / "v2")

    assert len(v2[ACME].parts) == len(v1[ACME].parts) + 1
    assert v2[ACME].parts[-1].text.startswith("One more thing")
    assert v2[ACME].updated_at == v1[ACME].updated_at
    assert {k: v.parts for k, v in v1.items() if k != ACME} == {
        k: v.parts for k, v in v2.items() if k != ACME
    }


def test_gong_pages_are_recognised_by_keys_not_file_names(tmp_path):
    _write(tmp_path, "a.json", {"requestId": "r1", "calls": [_call("42")]})
    _write(
        tmp_path / "nested",
        "zz.json",
        {"requestId": "r2", "callTranscripts": [_transcript("42", _mono("22", 0, "Hello"))]},
    )
    _write(tmp_path, "error.json", {"requestId": "r3", "errors": ["Rate limit exceeded"]})
    _write(tmp_path, "users.json", {"requestId": "r4", "users": []})

    records, rejected, _ = _read(tmp_path)

    assert list(records) == ["42"]
    assert records["42"].parts[0].speaker == "Marcus Lee"
    reasons = {Path(r.path).name: r.reason for r in rejected}
    assert reasons["error.json"].startswith("Gong API error response")
    assert reasons["users.json"].startswith("not a Gong page")


def test_gong_speaker_missing_from_parties_is_unknown_and_userid_means_internal(tmp_path):
    parties = [{"id": "1", "name": "Sam Ortiz", "speakerId": "11", "userId": "900"}]
    _write(tmp_path, "calls.json", {"calls": [_call("7", parties=parties)]})
    _write(
        tmp_path,
        "t.json",
        {"callTranscripts": [_transcript("7", _mono("11", 0, "Hi"), _mono("99", 500, "Hey"))]},
    )

    records, _, _ = _read(tmp_path)

    assert [(p.speaker, p.role) for p in records["7"].parts] == [
        ("Sam Ortiz", "internal"),
        (None, "unknown"),
    ]


def test_gong_wrong_types_reject_only_that_call(tmp_path):
    calls = [_call("1"), _call("2"), _call("3", started="not a date"), {"metaData": "x"}]
    _write(tmp_path, "calls.json", {"calls": calls})
    bad_start = {"speakerId": "11", "sentences": [{"start": "soon", "text": "Hi"}]}
    _write(
        tmp_path,
        "t.json",
        {
            "callTranscripts": [
                _transcript("1", bad_start),
                _transcript("2", _mono("22", 0, "Fine")),
                _transcript("3", _mono("22", 0, "Undated")),
                {"transcript": []},
            ]
        },
    )

    records, rejected, _ = _read(tmp_path)

    assert list(records) == ["2"]
    found = {r.locator: r.reason for r in rejected}
    assert found == {
        "call 1": "monologue 1: sentence 'start' is not milliseconds from call start",
        "call 3": "metaData.started: not a recognisable timestamp",
        "transcript 4": "missing required field 'callId'",
        "call metadata 4": "field 'metaData' is not an object",
    }


def test_gong_binary_file_and_undecodable_bytes_are_rejected(tmp_path):
    _write(tmp_path, "calls.json", {"calls": [_call("1"), _call("2")]})
    page = json.dumps(
        {"callTranscripts": [_transcript("1", _mono("22", 0, "MARKER")), _transcript("2")]}
    )
    (tmp_path / "t.json").write_bytes(page.encode().replace(b"MARKER", b"Gr\xfc\xdfe"))
    (tmp_path / "audio.json").write_bytes(b"\x00\x01\x02RIFF")

    records, rejected, _ = _read(tmp_path)

    assert list(records) == ["2"]
    found = {(Path(r.path).name, r.locator): r.reason for r in rejected}
    assert found[("audio.json", "file")].startswith("binary file")
    assert "not valid utf-8" in found[("t.json", "call 1")]
    # Read with the right encoding, the same call lands.
    records, _, _ = _read(tmp_path, encoding="cp1252")
    assert records["1"].parts[0].text == "Grüße"
