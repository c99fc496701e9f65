"""The Intercom connector on the fixture conversation list and on small files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from silobridge.extractors.base import Record, Rejected, Skipped
from silobridge.extractors.intercom import read_intercom
from silobridge.extractors.registry import get_connector

FIXTURES = Path(__file__).parent.parent / "fixtures" / "intercom"
V1 = FIXTURES / "v1" / "conversations.json"
V2 = FIXTURES / "v2" / "conversations.json"


def _read(path: Path, **options) -> list[Record | Rejected | Skipped]:
    return list(read_intercom(path, **options))


def _records(path: Path, **options) -> dict[str, Record]:
    return {r.native_id: r for r in _read(path, **options) if isinstance(r, Record)}


def _conversation(id: str = "900", **fields) -> dict:
    conversation = {
        "type": "conversation",
        "id": id,
        "created_at": 1788250442,
        "updated_at": 1788254042,
        "state": "open",
        "source": {
            "type": "conversation",
            "delivered_as": "customer_initiated",
            "body": "<p>Export fails</p>",
            "author": {"type": "user", "id": "u1", "name": "Ana Costa", "email": "ana@x.example"},
        },
        "conversation_parts": {
            "type": "conversation_part.list",
            "conversation_parts": [
                {
                    "part_type": "comment",
                    "body": "<p>Looking into it</p>",
                    "author": {"type": "admin", "id": "a1", "name": "Ben Ode"},
                    "created_at": 1788250500,
                }
            ],
        },
    }
    conversation.update(fields)
    return conversation


def test_intercom_registered_as_files_connector():
    spec = get_connector("intercom")
    assert spec.layout == "files"
    assert spec.channel == "chat"
    assert set(spec.formats) == {"json", "jsonl"}
    assert spec.options == {"encoding": "utf-8"}


def test_intercom_fixture_counts_match_expected():
    expected = json.loads((FIXTURES / "expected.json").read_text())
    results = _read(FIXTURES / expected["path"], **expected["options"])
    records = [r for r in results if isinstance(r, Record)]
    empty = [r for r in records if not (r.text or any(p.text for p in r.parts))]
    assert len(records) - len(empty) == expected["stored"]
    # a record with no text is skipped by the ingest stage, not quarantined
    assert sum(isinstance(r, Rejected) for r in results) == expected["quarantined"]
    assert sum(isinstance(r, Skipped) for r in results) + len(empty) == expected["skipped"]


def test_intercom_source_is_message_zero_and_state_changes_are_left_out():
    conversation = _records(V1)["367"]
    assert [(p.role, p.speaker) for p in conversation.parts] == [
        ("customer", "Aisha Khan"),  # source, author type user
        ("internal", "Jonas Weber"),  # admin comment
        ("internal", "Jonas Weber"),  # note
        ("customer", "Aisha Khan"),
        ("internal", "Jonas Weber"),
    ]  # the bot's assignment and the close (body null) are not parts
    assert conversation.parts[0].timestamp == conversation.created_at
    assert conversation.parts[2].text == "Enterprise plan, renewal in October. Looping in the CSM."


def test_intercom_bot_and_lead_roles():
    records = _records(V1)
    assert [(p.role, p.speaker) for p in records["368"].parts] == [
        ("customer", "Olav Berg"),  # lead
        ("bot", "Fin"),
        ("customer", "Olav Berg"),
        ("internal", "Jonas Weber"),
    ]
    assert [p.role for p in records["370"].parts] == ["bot", "customer"]  # automated survey


def test_intercom_html_becomes_plain_text():
    records = _records(V1)
    assert records["367"].parts[0].text == (
        'Hi, our SAML login fails with "invalid audience" since we rotated the IdP certificate '
        "this morning."
    )
    assert records["368"].parts[0].text.splitlines() == [
        "Hello,",
        "our August invoice lists VAT number NO 912 345 678 MVA, but ours is NO 998 877 665 MVA. "
        "Can you reissue it?",
        "Best regards",
        "Olav",
    ]
    assert records["368"].parts[-1].text.endswith("under Billing > Invoices.")
    assert "😕" in records["370"].parts[1].text


def test_intercom_speakers_are_names_never_emails():
    for record in _records(V1).values():
        for part in record.parts:
            assert part.speaker is None or "@" not in part.speaker
    assert "aisha.khan@harbourline.example" in _records(V1)["367"].raw


def test_intercom_epoch_timestamps_are_utc_and_ids_strings():
    records = _records(V1)
    conversation = records["367"]
    assert conversation.native_id == "367"
    assert conversation.created_at == datetime(2026, 9, 1, 8, 14, 2, tzinfo=UTC)
    assert conversation.updated_at == datetime(2026, 9, 1, 9, 44, 2, tzinfo=UTC)
    assert conversation.parts[1].timestamp == datetime(2026, 9, 1, 8, 24, 2, tzinfo=UTC)
    for record in records.values():
        assert isinstance(record.native_id, str)
        assert record.created_at.utcoffset().total_seconds() == 0


def test_intercom_title_account_and_metadata():
    records = _records(V1)
    assert records["368"].title == "Invoice shows the wrong VAT number"  # source.subject
    assert records["367"].title is None
    assert records["368"].account == "Fjordline Freight AS"  # the contact's company
    assert records["367"].account is None  # contacts carry ids only
    assert records["367"].metadata == {
        "state": "closed",
        "tags": ["sso", "enterprise"],
        "rating": 5,
        "remark": "Quick and helpful",
        "source_type": "conversation",
        "delivered_as": "customer_initiated",
        "priority": "not_priority",
    }
    assert records["368"].metadata["source_type"] == "email"


def test_intercom_reads_1x_payloads():
    conversation = _records(V1)["5143511111"]
    assert conversation.title == "Feedback on the new reports page"  # conversation_message
    assert [(p.role, p.speaker) for p in conversation.parts] == [
        ("customer", None),  # 1.x authors have ids only
        ("internal", None),
    ]
    assert conversation.parts[0].text.startswith("The new reports page is great")
    assert conversation.metadata["state"] == "closed"  # from "open": false
    assert conversation.metadata["tags"] == ["reports"]


def test_intercom_bad_records_are_rejected_with_locators_and_the_rest_read():
    results = _read(V1)
    rejected = [(r.locator, r.reason) for r in results if isinstance(r, Rejected)]
    assert rejected == [
        ("record 5", "missing required field 'id'"),
        ("conversation 371", "part 1: field 'author' is not an object"),
    ]
    assert [r.native_id for r in results if isinstance(r, Record)] == [
        "367",
        "368",
        "5143511111",
        "370",
    ]
    bad = next(r for r in results if isinstance(r, Rejected) and r.locator == "conversation 371")
    assert json.loads(bad.raw)["id"] == "371"
    assert "Jonas" not in bad.reason


def test_intercom_v2_changed_conversation_has_new_part_and_newer_update():
    def content(r: Record) -> tuple:
        return (r.text, r.parts, r.title, r.account, r.created_at, r.updated_at, r.metadata)

    old, new = _records(V1), _records(V2)
    assert old.keys() == new.keys()
    assert [k for k in old if content(old[k]) != content(new[k])] == ["367"]
    assert new["367"].updated_at > old["367"].updated_at
    assert new["367"].parts[:-1] == old["367"].parts
    assert new["367"].parts[-1].role == "customer"
    assert "two accounts still get" in new["367"].parts[-1].text


@pytest.mark.parametrize(
    "doc",
    [
        [_conversation("1"), _conversation("2")],  # bare array
        {"type": "conversation.list", "conversations": [_conversation("1"), _conversation("2")]},
    ],
)
def test_intercom_reads_arrays_and_list_pages(tmp_path, doc):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert [r.native_id for r in _read(path)] == ["1", "2"]


def test_intercom_reads_a_single_conversation_object(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(_conversation("42")), encoding="utf-8")
    [record] = _read(path)
    assert record.native_id == "42"
    assert record.locator == "conversation 42"
    assert [p.text for p in record.parts] == ["Export fails", "Looking into it"]


def test_intercom_reads_jsonl_and_rejects_bad_lines(tmp_path):
    path = tmp_path / "c.jsonl"
    lines = [json.dumps(_conversation("1")), "{broken", "", json.dumps(_conversation(id=7))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    results = _read(path)
    assert isinstance(results[1], Rejected)
    assert (results[1].locator, results[1].reason.split(":")[0]) == ("line 2", "invalid JSON")
    assert [r.native_id for r in results if isinstance(r, Record)] == ["1", "7"]  # int id → "7"


def test_intercom_truncated_list_keeps_conversations_before_the_damage(tmp_path):
    text = json.dumps(
        {"type": "conversation.list", "conversations": [_conversation("1"), _conversation("2")]},
        indent=2,
    )
    path = tmp_path / "c.json"
    path.write_text(text[: text.rindex("Looking")], encoding="utf-8")
    results = _read(path)
    assert isinstance(results[0], Record) and results[0].native_id == "1"
    assert isinstance(results[1], Rejected)
    assert results[1].reason.startswith("truncated JSON")


def test_intercom_part_types_other_than_comment_keep_their_text(tmp_path):
    parts = [
        {"part_type": "assignment", "body": "<p>Passing you to billing.</p>",
         "author": {"type": "admin", "name": "Ben Ode"}, "created_at": 1788250600},
        {"part_type": "open", "body": None, "author": {"type": "admin"}, "created_at": 1788250700},
        {"part_type": "close", "body": "", "author": {"type": "admin"}, "created_at": 1788250800},
    ]  # fmt: skip
    path = tmp_path / "c.json"
    path.write_text(json.dumps(_conversation(conversation_parts={"conversation_parts": parts})))
    [record] = _read(path)
    assert [p.text for p in record.parts] == ["Export fails", "Passing you to billing."]


def test_intercom_no_source_and_no_parts_gives_an_empty_record(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(_conversation(source=None, conversation_parts=None)))
    [record] = _read(path)
    assert isinstance(record, Record)  # the ingest stage skips it ("no text")
    assert record.parts == [] and record.text == ""


def test_intercom_invalid_utf8_rejects_only_that_conversation(tmp_path):
    good = json.dumps(_conversation("1")).encode()
    bad = json.dumps(_conversation("2")).encode().replace(b"Export fails", b"Export f\xe4ils")
    path = tmp_path / "c.jsonl"
    path.write_bytes(good + b"\n" + bad + b"\n")
    results = _read(path)
    assert isinstance(results[0], Record)
    assert isinstance(results[1], Rejected)
    assert results[1].locator == "conversation 2"
    assert "encoding" in results[1].reason
    assert _records(path, encoding="cp1252")["2"].parts[0].text == "Export fäils"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"id": None}, "missing required field 'id'"),
        ({"id": ["1"]}, "id: expected a string or integer id, got list"),
        ({"created_at": None}, "missing required field 'created_at'"),
        ({"created_at": "yesterday"}, "created_at: not a recognisable timestamp"),
        ({"source": "Export fails"}, "field 'source' is not an object"),
        ({"source": {"body": 5}}, "source: body: expected text, got int"),
        ({"source": {"body": "Hi", "author": "Ana"}}, "source: field 'author' is not an object"),
        ({"conversation_parts": "Help"}, "field 'conversation_parts' is not a list"),
        ({"conversation_parts": {"conversation_parts": ["Help"]}}, "part 1: not a JSON object"),
        ({"conversation_parts": [{"body": "Hi", "created_at": True}]}, "part 1: created_at:"),
    ],
)
def test_intercom_wrong_types_are_rejected_without_content(tmp_path, fields, reason):
    path = tmp_path / "c.json"
    path.write_text(json.dumps([{**_conversation(), **fields}]))
    [result] = _read(path)
    assert isinstance(result, Rejected)
    assert result.reason.startswith(reason)
    assert "Export" not in result.reason and "Help" not in result.reason


def test_intercom_non_conversation_files_never_raise(tmp_path):
    cases = {
        "error.json": json.dumps({"type": "error.list", "errors": [{"code": "unauthorized"}]}),
        "number.json": "42",
        "list.json": '{"type": "conversation.list", "conversations": {"id": 1}}',
        "garbage.json": "\x01\x02 not json at all",
        "mixed.jsonl": '7\n"x"\n[1]\nnull\n{"conversations": 3}\n',
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "binary.json").write_bytes(b"\x00\x01\x02\x03")
    (tmp_path / "empty.json").write_bytes(b"  \n")
    for path in sorted(tmp_path.iterdir()):
        results = _read(path)
        assert results, path.name
        assert all(isinstance(r, Rejected) and r.reason for r in results), path.name
    assert [r.locator for r in _read(tmp_path / "mixed.jsonl")] == [
        "line 1",
        "line 2",
        "line 3",
        "line 4",
        "line 5",
    ]


def test_intercom_account_falls_back_to_a_company_conversation_attribute(tmp_path):
    import json

    from silobridge.extractors.intercom import read_intercom

    conversation = {
        "type": "conversation",
        "id": "9",
        "created_at": 1788264000,
        "custom_attributes": {"Company": "Acme Logistics"},
        "source": {"body": "<p>Export fails</p>", "author": {"type": "user", "id": "u1"}},
    }
    path = tmp_path / "c.json"
    path.write_text(json.dumps(conversation))
    [record] = list(read_intercom(path))
    assert record.account == "Acme Logistics"
