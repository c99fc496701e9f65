"""The Zendesk connector on the fixture export (JSON page, JSON Lines, CSV) and on small files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from silobridge.errors import ConfigError
from silobridge.extractors.base import Record, Rejected, Skipped
from silobridge.extractors.registry import get_connector
from silobridge.extractors.zendesk import read_zendesk

FIXTURES = Path(__file__).parent.parent / "fixtures" / "zendesk"
V1 = FIXTURES / "v1" / "export"
V2 = FIXTURES / "v2" / "export"


def _read(path: Path, **options) -> list[Record | Rejected | Skipped]:
    return list(read_zendesk(path, **options))


def _records(path: Path, **options) -> dict[str, Record]:
    return {r.native_id: r for r in _read(path, **options) if isinstance(r, Record)}


def _ticket(id: int, **fields) -> dict:
    ticket = {
        "id": id,
        "subject": "Export fails",
        "description": "The export fails.",
        "status": "open",
        "requester_id": 1,
        "created_at": "2026-09-01T08:00:00Z",
        "updated_at": "2026-09-01T09:00:00Z",
    }
    ticket.update(fields)
    return ticket


def test_zendesk_registered_as_folder_connector():
    spec = get_connector("zendesk")
    assert spec.layout == "folder"
    assert spec.channel == "ticket"
    assert set(spec.formats) == {"json", "jsonl", "csv"}
    assert spec.options == {"encoding": "utf-8", "tz": "UTC"}


def test_zendesk_fixture_counts_match_expected():
    expected = json.loads((FIXTURES / "expected.json").read_text())
    results = _read(FIXTURES / expected["path"], **expected["options"])
    records = [r for r in results if isinstance(r, Record)]
    empty = [r for r in records if not (r.text or any(p.text for p in r.parts))]
    assert len(records) - len(empty) == expected["stored"]
    # a record with no text is skipped by the ingest stage, not quarantined
    assert sum(isinstance(r, Rejected) for r in results) == expected["quarantined"]
    assert sum(isinstance(r, Skipped) for r in results) + len(empty) == expected["skipped"]


def test_zendesk_reads_json_page_jsonl_and_csv_from_one_folder():
    by_file = {}
    for r in _read(V1):
        if isinstance(r, Record):
            by_file.setdefault(Path(r.path).name, set()).add(r.native_id)
    assert by_file == {
        "tickets.json": {"35436", "35437", "35441"},
        "full_export.jsonl": {"35500", "35501"},
        "ticket_export.csv": {"35600", "35601"},
    }


def test_zendesk_comment_roles_follow_user_role_and_public_flag():
    ticket = _records(V1)["35436"]
    assert [(p.role, p.speaker) for p in ticket.parts] == [
        ("customer", "Maria Lindqvist"),  # end-user
        ("internal", "Tomás Ferreira"),  # agent, public: false (internal note)
        ("internal", "Tomás Ferreira"),  # agent, public reply
    ]
    assert ticket.parts[1].text.startswith("Reproduced on staging")


def test_zendesk_admin_is_internal_and_unknown_authors_fall_back_on_requester():
    ticket = _records(V1)["35441"]  # requester 20979120 is not in users.json
    assert [(p.role, p.speaker) for p in ticket.parts] == [
        ("customer", None),  # the requester
        ("unknown", None),  # someone else not in users.json
        ("internal", "Priya Raman"),  # admin
    ]


def test_zendesk_html_body_becomes_plain_text_when_plain_body_is_empty():
    reply = _records(V1)["35436"].parts[2]
    assert "<" not in reply.text
    assert "Thanks for the details & the HAR file." in reply.text
    assert "- Billing > Invoices" in reply.text


def test_zendesk_description_is_one_customer_part_without_comments():
    ticket = _records(V1)["35437"]
    assert len(ticket.parts) == 1
    part = ticket.parts[0]
    assert part.role == "customer"
    assert part.speaker == "Daniel Okafor"
    assert part.text.startswith("Could you add SSO via Okta")
    assert part.timestamp == ticket.created_at
    assert ticket.title == "SSO via Okta for contractor accounts"


def test_zendesk_account_is_organization_name_else_id():
    records = _records(V1)
    assert records["35436"].account == "Nordhavn Logistics"
    assert records["35441"].account == "363"  # not side-loaded: the id
    # Organizations side-loaded in the JSON page also serve the JSON Lines export.
    assert records["35500"].account == "Brightwell Health"
    assert records["35600"].account == "Kestrel Analytics"  # CSV column


def test_zendesk_timestamps_are_utc_and_ids_are_strings():
    for record in _records(V1).values():
        assert isinstance(record.native_id, str)
        assert record.created_at.utcoffset().total_seconds() == 0
        assert record.updated_at >= record.created_at
        for part in record.parts:
            assert part.timestamp is None or part.timestamp.tzinfo is not None
    ticket = _records(V1)["35436"]
    assert ticket.created_at == datetime(2026, 9, 1, 8, 14, 2, tzinfo=UTC)
    assert ticket.updated_at == datetime(2026, 9, 1, 11, 2, 40, tzinfo=UTC)


def test_zendesk_metadata_keeps_vendor_fields():
    records = _records(V1)
    meta = records["35436"].metadata
    assert meta["status"] == "open"
    assert meta["priority"] == "high"
    assert meta["type"] == "problem"
    assert meta["tags"] == ["enterprise", "export", "billing"]
    assert meta["via"] == "web"
    assert meta["group_id"] == "360004077472"
    # Polymorphic custom field values kept as they are, nulls left out.
    assert meta["custom_fields"] == {
        "27642": "745",
        "27644": ["eu_region", "priority_support"],
        "27645": True,
    }
    assert records["35441"].metadata["satisfaction"] == "good"
    json.dumps(meta)  # JSON-serialisable


def test_zendesk_bad_records_are_rejected_with_locators_and_the_rest_read():
    rejected = {
        (Path(r.path).name, r.locator): r.reason for r in _read(V1) if isinstance(r, Rejected)
    }
    assert rejected.keys() == {
        ("tickets.json", "record 4"),
        ("tickets.json", "ticket 35440"),
        ("full_export.jsonl", "line 3"),
        ("ticket_export.csv", "row 3 (line 4)"),
    }
    assert rejected["tickets.json", "record 4"] == "missing required field 'id'"
    assert rejected["tickets.json", "ticket 35440"] == "created_at: not a recognisable timestamp"
    assert rejected["full_export.jsonl", "line 3"].startswith("invalid JSON")
    assert rejected["ticket_export.csv", "row 3 (line 4)"] == "missing required field 'Id'"


def test_zendesk_rejected_keeps_raw_for_quarantine():
    bad = next(r for r in _read(V1) if isinstance(r, Rejected) and r.locator == "ticket 35440")
    assert json.loads(bad.raw)["subject"] == "Webhook deliveries delayed"
    assert "Webhook" not in str(bad)  # the message never carries record content


def test_zendesk_deleted_ticket_is_skipped():
    skipped = [r for r in _read(V1) if isinstance(r, Skipped)]
    assert [(Path(s.path).name, s.locator, s.reason) for s in skipped] == [
        ("tickets.json", "ticket 35438", "deleted ticket")
    ]


def test_zendesk_csv_export_rows():
    records = _records(V1)
    row = records["35601"]
    assert row.text == "Request: bulk edit of user roles, ideally via API"
    assert row.title == row.text
    assert row.parts == []
    assert row.created_at == datetime(2026, 8, 29, 10, 5, tzinfo=UTC)
    assert row.metadata["status"] == "solved"
    assert row.metadata["tags"] == ["roles", "api", "feature_request"]
    assert records["35600"].metadata["custom_fields"] == {
        "Ticket Category": "Bug",
        "JIRA URL": "https://jira.acmecloud.example/browse/DASH-812",
    }
    assert "35601" in row.raw and "OrbitPay" in row.raw


def test_zendesk_csv_parsed_by_header_name_with_description_and_zone(tmp_path):
    path = tmp_path / "view.csv"
    path.write_text(
        "Status,Created at,Description,Id,Subject,Extra column\n"
        'Pending,2026-09-01 10:00:00,"Line one,\nline two",812,Slow search,x\n',
        encoding="utf-8",
    )
    [record] = _read(path, tz="Europe/Berlin")
    assert record.native_id == "812"
    assert record.text == "Slow search\nLine one,\nline two"
    assert record.created_at == datetime(2026, 9, 1, 8, 0, tzinfo=UTC)  # CEST is UTC+2
    assert record.updated_at == record.created_at
    assert record.account is None
    assert record.metadata == {"status": "pending"}


def test_zendesk_csv_without_id_column_is_rejected_as_a_file(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("Name,Score\nAcme,9\n", encoding="utf-8")
    [result] = _read(path)
    assert isinstance(result, Rejected)
    assert result.locator == "file"
    assert "no 'Id' column" in result.reason


def test_zendesk_single_file_resolves_authors_from_sibling_users():
    results = _read(V1 / "tickets.json")
    records = {r.native_id: r for r in results if isinstance(r, Record)}
    assert set(records) == {"35436", "35437", "35441"}
    assert records["35436"].parts[0].speaker == "Maria Lindqvist"
    assert all(Path(r.path).name == "tickets.json" for r in results)


def test_zendesk_v2_changed_ticket_has_new_comment_and_newer_update():
    def content(r: Record) -> tuple:
        return (r.text, r.parts, r.title, r.account, r.created_at, r.updated_at, r.metadata)

    old, new = _records(V1), _records(V2)
    assert old.keys() == new.keys()
    changed = [k for k in old if content(old[k]) != content(new[k])]
    assert changed == ["35436"]
    assert new["35436"].updated_at > old["35436"].updated_at
    assert len(new["35436"].parts) == len(old["35436"].parts) + 1
    assert new["35436"].parts[-1].role == "customer"
    assert "ETA for the fix" in new["35436"].parts[-1].text


def test_zendesk_repeated_ticket_in_incremental_export_is_yielded_twice(tmp_path):
    page = {"tickets": [_ticket(5), _ticket(5, updated_at="2026-09-01T10:00:00Z")]}
    (tmp_path / "page.json").write_text(json.dumps(page), encoding="utf-8")
    results = _read(tmp_path)
    assert [(r.native_id, r.updated_at.hour) for r in results] == [("5", 9), ("5", 10)]


def test_zendesk_page_side_loads_resolve_authors(tmp_path):
    ticket = _ticket(
        7,
        organization_id=40,
        comments=[
            {
                "id": 1,
                "body": "Help",
                "public": True,
                "author_id": 1,
                "created_at": "2026-09-01T08:00:00Z",
            },
            {
                "id": 2,
                "body": "On it",
                "public": True,
                "author_id": 2,
                "created_at": "2026-09-01T08:05:00Z",
            },
        ],
    )
    page = {
        "tickets": [ticket],
        "users": [
            {"id": 1, "name": "Ana Costa", "role": "end-user"},
            {"id": 2, "name": "Ben Ode", "role": "admin"},
        ],
        "organizations": [{"id": 40, "name": "Quellwerk GmbH"}],
    }
    (tmp_path / "page.json").write_text(json.dumps(page), encoding="utf-8")
    [record] = _read(tmp_path)
    assert [(p.speaker, p.role) for p in record.parts] == [
        ("Ana Costa", "customer"),
        ("Ben Ode", "internal"),
    ]
    assert record.account == "Quellwerk GmbH"


def test_zendesk_comment_falls_back_to_body_and_skips_empty_comments(tmp_path):
    comments = [
        {"id": 1, "body": "Plain body only", "html_body": "", "plain_body": "", "author_id": 1},
        {"id": 2, "body": "", "html_body": "", "plain_body": "", "author_id": 1},  # attachment
    ]
    (tmp_path / "t.jsonl").write_text(json.dumps(_ticket(9, comments=comments)) + "\n")
    [record] = _read(tmp_path / "t.jsonl")
    assert [p.text for p in record.parts] == ["Plain body only"]
    assert record.parts[0].timestamp is None


def test_zendesk_truncated_page_keeps_the_tickets_before_the_damage(tmp_path):
    text = json.dumps({"tickets": [_ticket(1), _ticket(2)]}, indent=2)
    (tmp_path / "page.json").write_text(text[: text.rindex('"status"')], encoding="utf-8")
    results = _read(tmp_path)
    assert isinstance(results[0], Record) and results[0].native_id == "1"
    assert isinstance(results[1], Rejected)
    assert results[1].reason.startswith("truncated JSON")
    assert results[1].locator.startswith("record 2 (line ")


def test_zendesk_invalid_utf8_rejects_only_that_ticket(tmp_path):
    good = json.dumps(_ticket(1)).encode()
    bad = json.dumps(_ticket(2, subject="Caf\udce9")).encode()
    bad = bad.replace(b"\\udce9", b"\xe9")  # a raw cp1252 byte inside the JSON string
    (tmp_path / "t.jsonl").write_bytes(good + b"\n" + bad + b"\n")
    results = _read(tmp_path / "t.jsonl")
    assert isinstance(results[0], Record)
    assert isinstance(results[1], Rejected)
    assert results[1].locator == "ticket 2"
    assert "encoding" in results[1].reason
    assert _records(tmp_path / "t.jsonl", encoding="cp1252")["2"].title == "Café"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"id": None}, "missing required field 'id'"),
        ({"id": {"n": 1}}, "id: expected a string or integer id, got dict"),
        ({"created_at": None}, "missing required field 'created_at'"),
        ({"created_at": True}, "created_at: expected a timestamp, got a boolean"),
        ({"subject": 12}, "subject: expected text, got int"),
        ({"comments": "Help"}, "field 'comments' is not a list"),
        ({"comments": ["Help"]}, "comment 1 is not a JSON object"),
        ({"comments": [{"body": ["Help"]}]}, "comment 1: body: expected text, got list"),
        ({"comments": [{"body": "Hi", "created_at": "soon"}]}, "comment 1: created_at: not a"),
    ],
)
def test_zendesk_wrong_types_are_rejected_without_content(tmp_path, fields, reason):
    (tmp_path / "t.jsonl").write_text(json.dumps({**_ticket(3), **fields}) + "\n")
    [result] = _read(tmp_path / "t.jsonl")
    assert isinstance(result, Rejected)
    assert result.reason.startswith(reason)
    assert "Help" not in result.reason and "Export" not in result.reason


def test_zendesk_wrong_metadata_types_are_ignored_not_fatal(tmp_path):
    ticket = _ticket(4, tags="urgent", via="web", custom_fields={"a": 1}, satisfaction_rating=5)
    (tmp_path / "t.jsonl").write_text(json.dumps(ticket) + "\n")
    [record] = _read(tmp_path / "t.jsonl")
    assert isinstance(record, Record)
    assert record.metadata == {"status": "open"}


def test_zendesk_non_ticket_json_and_garbage_lines_never_raise(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"error": "RecordNotFound"}))
    (tmp_path / "b.jsonl").write_text('42\n[1, 2]\n"x"\nnull\n{"tickets": 5}\n\x01\x02garbage\n')
    (tmp_path / "c.json").write_bytes(b"\x00\x01\x02\x03binary")
    results = _read(tmp_path)
    assert all(isinstance(r, Rejected) for r in results)
    assert [(Path(r.path).name, r.locator) for r in results] == [
        ("a.json", "file"),
        ("c.json", "file"),
        ("b.jsonl", "line 1"),
        ("b.jsonl", "line 2"),
        ("b.jsonl", "line 3"),
        ("b.jsonl", "line 4"),
        ("b.jsonl", "line 5"),
        ("b.jsonl", "line 6"),
    ]


def test_zendesk_unknown_zone_is_a_config_error():
    with pytest.raises(ConfigError, match="Europe/Nowhere"):
        _read(V1, tz="Europe/Nowhere")


def _zd_ticket(ticket_id: int, subject: str) -> dict:
    return {
        "id": ticket_id,
        "subject": subject,
        "description": f"{subject} (the first comment)",
        "requester_id": 7,
        "created_at": "2026-09-01T10:00:00Z",
        "updated_at": "2026-09-02T10:00:00Z",
    }


def _zd_comment(author: int, body: str, public: bool = True) -> dict:
    return {"author_id": author, "plain_body": body, "public": public,
            "created_at": "2026-09-01T11:00:00Z"}  # fmt: skip


def test_zendesk_comment_pages_saved_per_ticket_are_joined_and_other_listings_skipped(
    tmp_path: Path,
):
    """The comment API's pages, one file per ticket with the id in its name (as scripts save
    GET /tickets/{id}/comments), become the ticket's parts; ticket_fields.json and a comment
    page of a ticket that is not in the export are skipped, nothing is quarantined."""
    tickets = {"tickets": [_zd_ticket(101, "Export fails"), _zd_ticket(102, "SSO loop")]}
    (tmp_path / "tickets.json").write_text(json.dumps(tickets))
    users = {"users": [{"id": 7, "name": "Ana", "role": "end-user"},
                       {"id": 9, "name": "Sam", "role": "agent"}]}  # fmt: skip
    (tmp_path / "users.json").write_text(json.dumps(users))
    comments = tmp_path / "comments"
    comments.mkdir()
    page = {"comments": [_zd_comment(7, "The CSV export times out."),
                         _zd_comment(9, "Looking into it."), _zd_comment(9, "Escalated", False)],
            "next_page": None, "previous_page": None, "count": 3}  # fmt: skip
    (comments / "101.json").write_text(json.dumps(page))
    (tmp_path / "ticket-102-comments.json").write_text(
        json.dumps({"count": 1, "comments": [_zd_comment(7, "Okta sends us back to login.")]})
    )
    (comments / "999.json").write_text(json.dumps({"comments": [_zd_comment(7, "orphan")]}))
    fields = {"ticket_fields": [{"id": 1, "type": "subject", "title": "Subject"}]}
    (tmp_path / "ticket_fields.json").write_text(json.dumps(fields))

    out = list(read_zendesk(tmp_path))

    records = {r.native_id: r for r in out if isinstance(r, Record)}
    assert set(records) == {"101", "102"}
    assert [(p.text, p.role) for p in records["101"].parts] == [
        ("The CSV export times out.", "customer"),
        ("Looking into it.", "internal"),
        ("Escalated", "internal"),
    ]
    assert [p.text for p in records["102"].parts] == ["Okta sends us back to login."]
    assert not [r for r in out if isinstance(r, Rejected)]
    skipped = sorted(s.reason for s in out if isinstance(s, Skipped))
    assert skipped == [
        "comments of ticket 999, which is not in the export",
        "ticket_fields: not tickets",
    ]
