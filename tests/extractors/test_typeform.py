"""The Typeform connector on the fixture export (responses + form definition) and small files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from silobridge.extractors.base import Record, Rejected, Skipped
from silobridge.extractors.registry import get_connector
from silobridge.extractors.typeform import read_typeform

FIXTURES = Path(__file__).parent.parent / "fixtures" / "typeform"
V1 = FIXTURES / "v1"
V2 = FIXTURES / "v2"
NORTHWIND = "k9x2m1q8w7e6r5t4y3u2i1o0p9a8s7d6"
KOBE = "b7c6d5e4f3g2h1j0k9l8m7n6o5p4q3r2"


def _read(path: Path, **options) -> list[Record | Rejected | Skipped]:
    return list(read_typeform(path, **options))


def _records(path: Path, **options) -> dict[str, Record]:
    return {r.native_id: r for r in _read(path, **options) if isinstance(r, Record)}


def _answer(ref: str, field_type: str, answer_type: str, value, field_id: str | None = None):
    field = {"id": field_id or f"id_{ref}", "type": field_type, "ref": ref}
    return {"field": field, "type": answer_type, answer_type: value}


def _response(rid: str | None = "r1", **fields) -> dict:
    response = {
        "landing_id": rid,
        "token": rid,
        "response_id": rid,
        "landed_at": "2026-09-01T08:00:00Z",
        "submitted_at": "2026-09-01T08:05:00Z",
        "metadata": {"platform": "other"},
        "hidden": {},
        "calculated": {"score": 0},
        "answers": [_answer("why", "long_text", "text", "Export is slow")],
    }
    response.update(fields)
    return response


def _write_page(folder: Path, items: list, name: str = "responses.json") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    page = {"total_items": len(items), "page_count": 1, "items": items}
    (folder / name).write_text(json.dumps(page, ensure_ascii=False), encoding="utf-8")
    return folder / name


def test_typeform_registered_as_folder_survey_connector():
    spec = get_connector("typeform")
    assert (spec.layout, spec.channel, spec.formats) == ("folder", "survey", ("json",))
    assert spec.options == {"encoding": "utf-8", "account_field": "company"}


def test_typeform_fixture_counts_match_expected():
    expected = json.loads((FIXTURES / "expected.json").read_text())
    results = _read(FIXTURES / expected["path"], **expected["options"])
    records = [r for r in results if isinstance(r, Record)]
    empty = [r for r in records if not r.text]
    assert len(records) - len(empty) == expected["stored"]
    # a record with no text is skipped by the ingest stage, not quarantined
    assert sum(isinstance(r, Rejected) for r in results) == expected["quarantined"]
    assert sum(isinstance(r, Skipped) for r in results) + len(empty) == expected["skipped"]


def test_typeform_text_is_the_free_text_answers_without_question_titles():
    record = _records(V1)[NORTHWIND]
    assert record.text == (
        "The scheduled exports save our ops team about a day a week.\n\n"
        "Only wish the CSV kept our column order.\n"
        "Row-level permissions for our regional managers"
    )
    assert "What is the main reason" not in record.text
    assert [p.role for p in record.parts] == ["customer", "customer"]
    assert {p.speaker for p in record.parts} == {None}
    assert record.metadata["text_fields"] == ["nps_reason", "build_next"]
    assert record.metadata["questions"]["nps_reason"] == "What is the main reason for your score?"


def test_typeform_choices_ratings_and_dropdowns_go_to_metadata_answers():
    record = _records(V1)[NORTHWIND]
    assert record.metadata["answers"] == {
        "nps": 9,
        "plan": "Business",  # a dropdown answer has type "text" but is a choice
        "features": ["Dashboards", "Scheduled exports"],
        "renew": True,
    }
    assert "Business" not in record.text


def test_typeform_other_choice_text_is_part_of_the_text():
    record = _records(V1)[KOBE]
    assert record.text.splitlines() == [
        "ダッシュボードの読み込みが遅すぎます。月末は特にひどい。",
        "SAP connector",
    ]
    assert record.metadata["answers"]["features"] == ["Dashboards", "Alerts", "other"]
    assert record.metadata["text_fields"] == ["nps_reason", "features (other)"]


def test_typeform_contact_data_stays_out_of_text_metadata_and_account():
    records = _records(V1)
    kobe = records[KOBE]  # contact_info group: first name, last name, email
    northwind = records[NORTHWIND]  # an email question and an email in a hidden field
    for record in (kobe, northwind):
        dumped = json.dumps([record.text, record.metadata, record.account], ensure_ascii=False)
        assert "@" not in dumped
        assert "Haruto" not in dumped and "Sato" not in dumped
    assert kobe.metadata["contact_fields"] == 3
    assert northwind.metadata["contact_fields"] == 1
    assert northwind.metadata["hidden"] == {"company": "Northwind Logistics", "plan": "business"}


def test_typeform_account_from_hidden_company_field_or_option():
    records = _records(V1)
    assert records[NORTHWIND].account == "Northwind Logistics"
    assert _records(V1, account_field="plan")[NORTHWIND].account == "business"
    assert _records(V1, account_field=None)[NORTHWIND].account is None
    assert _records(V1, account_field="")[NORTHWIND].account is None  # TOML has no null


def test_typeform_account_field_may_name_an_answer_which_then_leaves_the_text(tmp_path: Path):
    answers = [
        _answer("company", "short_text", "text", "Acme Corp"),
        _answer("why", "long_text", "text", "Export is slow"),
    ]
    _write_page(tmp_path, [_response(answers=answers)])
    record = _records(tmp_path)["r1"]
    assert record.account == "Acme Corp"
    assert record.text == "Export is slow"


def test_typeform_ids_timestamps_and_token_fallback():
    records = _records(V1)
    assert all(isinstance(i, str) for i in records)
    assert records[NORTHWIND].created_at == datetime(2026, 9, 3, 14, 6, 48, tzinfo=UTC)
    assert records[NORTHWIND].updated_at == records[NORTHWIND].created_at
    # no response_id: the token is the id
    token_only = records["z1y2x3w4v5u6t7s8r9q0p1o2n3m4l5k6"]
    assert token_only.locator == "response z1y2x3w4v5u6t7s8r9q0p1o2n3m4l5k6"
    assert token_only.channel is None and token_only.function is None


def test_typeform_landed_at_stands_in_for_a_missing_submitted_at(tmp_path: Path):
    _write_page(tmp_path, [_response(submitted_at=None)])
    assert _records(tmp_path)["r1"].created_at == datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def test_typeform_null_answers_give_a_record_with_empty_text():
    record = _records(V1)["q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6"]
    assert record.text == "" and record.parts == []
    assert record.account == "Vireo Retail"


def test_typeform_bad_responses_are_rejected_with_their_locator_and_the_rest_read():
    results = _read(V1)
    rejected = {r.locator: r.reason for r in results if isinstance(r, Rejected)}
    assert rejected == {
        "item 6": "missing required field 'response_id'",
        "response t6y5u4i3o2p1a0s9d8f7g6h5j4k3l2z1": "field 'answers' is not a list",
        "response g7h8j9k0l1z2x3c4v5b6n7m8q9w0e1r2": "submitted_at: not a recognisable timestamp",
    }
    for bad in (r for r in results if isinstance(r, Rejected)):
        assert bad.path.endswith("responses.json") and bad.raw
        assert "billing" not in bad.reason  # reasons never quote the record
    assert len(_records(V1)) == 5


def test_typeform_wrong_answer_types_are_rejected_by_name(tmp_path: Path):
    items = [
        _response("a", answers=[_answer("why", "long_text", "text", 42)]),
        _response("b", answers=[_answer("nps", "opinion_scale", "number", "nine")]),
        _response("c", answers=["not an answer"]),
        _response("d", answers=[{"type": "text", "text": "x"}]),
        _response("e", hidden="Acme"),
        _response("f"),
    ]
    _write_page(tmp_path, items)
    reasons = {r.locator: r.reason for r in _read(tmp_path) if isinstance(r, Rejected)}
    assert reasons == {
        "response a": "answer 1: expected text, got int",
        "response b": "answer 1: expected a number, got str",
        "response c": "answer 1 is not an object",
        "response d": "answer 1: field 'field' is not an object",
        "response e": "field 'hidden' is not an object",
    }
    assert list(_records(tmp_path)) == ["f"]


def test_typeform_truncated_page_keeps_the_responses_before_the_damage(tmp_path: Path):
    path = _write_page(tmp_path, [_response("a"), _response("b"), _response("c")])
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.rindex('"answers"')], encoding="utf-8")
    results = _read(tmp_path)
    assert [r.native_id for r in results if isinstance(r, Record)] == ["a", "b"]
    (bad,) = [r for r in results if isinstance(r, Rejected)]
    assert bad.locator.startswith("item 3 (line ")
    assert bad.reason.startswith("truncated JSON")


def test_typeform_invalid_utf8_rejects_only_that_response(tmp_path: Path):
    path = _write_page(tmp_path, [_response("a"), _response("b")])
    data = path.read_bytes().replace(b"Export is slow", b"Export is \xff slow", 1)
    path.write_bytes(data)
    results = _read(tmp_path)
    (bad,) = [r for r in results if isinstance(r, Rejected)]
    assert bad.locator == "response a" and "encoding" in bad.reason
    assert list(_records(tmp_path)) == ["b"]


def test_typeform_reads_several_pages_and_skips_verbatim_repeats(tmp_path: Path):
    _write_page(tmp_path, [_response("a"), _response("b")], "page-1.json")
    _write_page(tmp_path, [_response("b"), _response("c")], "page-2.json")
    (tmp_path / "notes.json").write_text('{"owner": "cx-team"}', encoding="utf-8")
    results = _read(tmp_path)
    assert [r.native_id for r in results if isinstance(r, Record)] == ["a", "b", "c"]
    skipped = sorted((Path(s.path).name, s.reason) for s in results if isinstance(s, Skipped))
    assert skipped == [
        ("notes.json", "not a Typeform responses page or form definition"),
        ("page-2.json", "duplicate response (repeated by an overlapping page)"),
    ]


def test_typeform_single_file_is_joined_to_the_form_beside_it():
    records = _records(V1 / "responses.json")
    assert len(records) == 5
    assert records[NORTHWIND].metadata["form_id"] == "lT4Z3j"
    assert records[KOBE].metadata["contact_fields"] == 3  # the contact_info group is known


def test_typeform_text_does_not_depend_on_the_form_definition(tmp_path: Path):
    (tmp_path / "responses.json").write_bytes((V1 / "responses.json").read_bytes())
    without_form = _records(tmp_path)
    with_form = _records(V1)
    assert without_form.keys() == with_form.keys()
    # the contact_info group's name boxes are short_text answers: only the form tells them apart
    assert "Haruto" in without_form[KOBE].text and "Haruto" not in with_form[KOBE].text
    same = [i for i in with_form if i != KOBE]
    assert [without_form[i].text for i in same] == [with_form[i].text for i in same]
    assert "questions" not in without_form[NORTHWIND].metadata
    assert without_form[NORTHWIND].metadata["answers"]["nps"] == 9


def test_typeform_empty_and_binary_files_are_rejected_whole(tmp_path: Path):
    (tmp_path / "a.json").write_bytes(b"")
    (tmp_path / "b.json").write_bytes(b"\x00\x01\x02binary")
    results = _read(tmp_path)
    assert [(Path(r.path).name, r.locator) for r in results] == [
        ("a.json", "file"),
        ("b.json", "file"),
    ]
    assert all(isinstance(r, Rejected) for r in results)


def test_typeform_changed_response_has_new_text_and_newer_date():
    old, new = _records(V1)[KOBE], _records(V2)[KOBE]
    assert new.created_at > old.created_at
    assert new.text != old.text and new.text.startswith(old.text.splitlines()[0][:10])
    unchanged = {i: r.text for i, r in _records(V1).items() if i != KOBE}
    assert unchanged == {i: r.text for i, r in _records(V2).items() if i != KOBE}
