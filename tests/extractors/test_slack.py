"""Behaviour of the Slack connector on workspace export folders."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from silobridge.errors import ConfigError
from silobridge.extractors.base import Record, Rejected, Skipped
from silobridge.extractors.slack import _Directory, _User, mrkdwn_to_text, read_slack

FIXTURES = Path(__file__).parent.parent / "fixtures" / "slack"
THREAD = "C0ACMESUP:1772463600.000100"


def _read(path: Path, **options):
    out = list(read_slack(path, **options))
    records = {r.native_id: r for r in out if isinstance(r, Record)}
    rejected = [r for r in out if isinstance(r, Rejected)]
    skipped = [r for r in out if isinstance(r, Skipped)]
    return records, rejected, skipped


def _export(root: Path, messages: dict[str, list], *, users=None, channels=None) -> Path:
    """Write a small export: ``messages`` maps ``"channel/YYYY-MM-DD"`` to a day's messages."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "users.json").write_text(
        json.dumps(
            users
            if users is not None
            else [
                {"id": "U1", "team_id": "T1", "real_name": "Dana Whitfield", "profile": {}},
                {"id": "U2", "team_id": "T1", "real_name": "Priya Nair", "profile": {}},
            ]
        )
    )
    (root / "channels.json").write_text(
        json.dumps(channels if channels is not None else [{"id": "C1", "name": "general"}])
    )
    for where, day in messages.items():
        (root / where).parent.mkdir(parents=True, exist_ok=True)
        (root / f"{where}.json").write_text(json.dumps(day), encoding="utf-8")
    return root


def test_slack_thread_spanning_day_files_is_one_record():
    records, _, _ = _read(FIXTURES / "v1" / "export")

    thread = records[THREAD]
    assert [p.speaker for p in thread.parts] == ["Marcus Lee", "Dana Whitfield", "Marcus Lee"]
    assert thread.parts[2].text == "Confirmed, daily exports work for now."  # from 2026-03-03.json
    assert thread.created_at == datetime(2026, 3, 2, 15, 0, 0, 100, tzinfo=UTC)
    assert thread.updated_at == datetime(2026, 3, 3, 8, 40, 0, 400, tzinfo=UTC)
    assert thread.metadata["is_thread"] is True
    assert thread.metadata["reply_count"] == 2
    assert thread.metadata["reactions"] == {"eyes": 2}
    assert thread.metadata["channel"] == "acme-support"
    assert thread.metadata["channel_id"] == "C0ACMESUP"
    assert thread.title is None
    assert Path(thread.path).name == "2026-03-02.json"


def test_slack_new_reply_in_a_later_day_file_updates_the_thread():
    v1, _, _ = _read(FIXTURES / "v1" / "export")
    v2, _, _ = _read(FIXTURES / "v2" / "export")

    assert v2.keys() == v1.keys()
    assert len(v2[THREAD].parts) == 4
    assert v2[THREAD].parts[-1].text.startswith("Fix shipped in 4.12")
    assert v2[THREAD].created_at == v1[THREAD].created_at
    assert v2[THREAD].updated_at == datetime(2026, 3, 5, 10, 15, 0, 600, tzinfo=UTC)
    for native_id in v1.keys() - {THREAD}:
        assert v1[native_id].parts == v2[native_id].parts
        assert v1[native_id].updated_at == v2[native_id].updated_at


def test_slack_roles_bot_external_team_and_internal():
    records, _, _ = _read(FIXTURES / "v1" / "export")
    roles = {p.speaker: p.role for r in records.values() for p in r.parts}

    assert roles["Marcus Lee"] == "customer"  # users.json team_id is Acme's, not the workspace's
    assert roles["Lena Fischer"] == "customer"  # not in users.json; user_team is Acme's
    assert roles["Dana Whitfield"] == "internal"
    assert roles["Sam Ortiz"] == "internal"
    assert roles["Jira Cloud"] == "bot"


def test_slack_mentions_links_and_entities_become_plain_text():
    records, _, _ = _read(FIXTURES / "v1" / "export")
    texts = {p.text for r in records.values() for p in r.parts}

    assert (
        "Thanks @Marcus Lee, I've filed it with product: ISSUE-4411. "
        "Workaround: split into daily exports & merge."
    ) in texts
    assert (
        "@here Q2 roadmap review on Thursday, bring customer asks to #product-feedback. "
        "Agenda: https://docs.example.com/q2-roadmap"
    ) in texts
    assert "Is the EU region affected too? We run <100 routes there." in texts
    assert "@Sam Ortiz thanks! @cs-team does anyone else hear the per-seat complaint?" in texts


def test_slack_blocks_are_preferred_and_bot_attachments_used_when_text_is_empty():
    records, _, _ = _read(FIXTURES / "v1" / "export")
    texts = {p.text for r in records.values() for p in r.parts}

    assert (
        "Feedback from Northwind Health:\n"
        "- usage-based pricing instead of per seat\n"
        "- SSO for read-only users"
    ) in texts
    assert records[THREAD].parts[0].text == (
        "Hi team, the route export times out for ranges over 7 days :disappointed: "
        "@Dana Whitfield can you take a look?"
    )
    bot = records["C0ACMESUP:1772528400.000500"].parts[0]
    assert bot.text.endswith("moved to In Progress by @Priya Nair")


def test_slack_bad_messages_are_rejected_with_locators_and_the_rest_read():
    records, rejected, _ = _read(FIXTURES / "v1" / "export")

    found = {r.locator: r.reason for r in rejected}
    assert found == {
        "channel acme-support, 2026-03-02.json, message 5": "missing required field 'ts'",
        "channel general, 2026-03-02.json, message 3": (
            "field 'ts' is not a Slack timestamp string"
        ),
        "channel product-feedback, 2026-03-04.json, message 3 (line 76)": (
            "truncated JSON: the file ends inside this record"
        ),
    }
    assert all(r.raw for r in rejected)
    # The two good messages before the cut in the broken day file still land.
    assert {"C0PRODFBK:1772629200.000040", "C0PRODFBK:1772631000.000050"} <= records.keys()
    assert len(records) == 6


def test_slack_noise_and_file_only_messages_are_skipped_with_reasons():
    _, _, skipped = _read(FIXTURES / "v1" / "export")

    assert sorted((s.locator, s.reason) for s in skipped) == [
        ("channel acme-support, 2026-03-02.json, message 1", "channel_join"),
        ("channel general, 2026-03-02.json, message 1", "channel_purpose"),
        ("channel general, message 1772449200.000030", "no text, only files"),
    ]


def test_slack_file_urls_and_tokens_never_reach_the_text(tmp_path):
    url = "https://files.slack.com/files-pri/T1-F1/report.pdf?t=xoxe-2025-3073-abcdef"
    root = _export(
        tmp_path,
        {
            "general/2026-03-02": [
                {
                    "type": "message",
                    "user": "U1",
                    "ts": "1772443800.000020",
                    "text": f"See <{url}> and <{url}|the report>",
                    "files": [{"id": "F1", "url_private": url, "name": "report.pdf"}],
                }
            ]
        },
    )

    records, _, _ = _read(root)

    (record,) = records.values()
    assert record.parts[0].text == (
        "See https://files.slack.com/files-pri/T1-F1/report.pdf and the report"
    )
    assert "xoxe" not in record.parts[0].text
    assert record.metadata["files"] == 1


def test_slack_function_by_channel_matches_globs(tmp_path):
    msg = {"type": "message", "user": "U1", "text": "Renewal at risk", "ts": "1772443800.000020"}
    root = _export(
        tmp_path,
        {"sales-emea/2026-03-02": [msg], "support/2026-03-02": [msg], "random/2026-03-02": [msg]},
        channels=[
            {"id": "C1", "name": "sales-emea"},
            {"id": "C2", "name": "support"},
            {"id": "C3", "name": "random"},
        ],
    )

    records, _, _ = _read(root, function_by_channel={"sales-*": "Sales", "support": "Support"})

    functions = {r.metadata["channel"]: r.function for r in records.values()}
    assert functions == {"sales-emea": "Sales", "support": "Support", "random": None}
    assert sorted(records) == [
        "C1:1772443800.000020",
        "C2:1772443800.000020",
        "C3:1772443800.000020",
    ]


def test_slack_reply_before_parent_file_and_edits_set_updated_at(tmp_path):
    parent = {
        "type": "message",
        "user": "U1",
        "text": "Parent",
        "ts": "1772443800.000001",
        "thread_ts": "1772443800.000001",
        "edited": {"user": "U1", "ts": "1772600000.000000"},
    }
    reply = {
        "type": "message",
        "subtype": "thread_broadcast",
        "user": "U2",
        "text": "Reply",
        "ts": "1772530200.000002",
        "thread_ts": "1772443800.000001",
    }
    root = _export(tmp_path, {"general/2026-03-03": [reply], "general/2026-03-02": [parent]})

    records, _, _ = _read(root)

    (thread,) = records.values()
    assert [p.text for p in thread.parts] == ["Parent", "Reply"]
    assert thread.native_id == "C1:1772443800.000001"
    assert thread.updated_at == datetime.fromtimestamp(1772600000, tz=UTC)


def test_slack_dm_folders_named_by_id_and_unknown_users(tmp_path):
    root = _export(
        tmp_path,
        {
            "D0DM00001/2026-03-02": [
                {"type": "message", "user": "U9", "text": "hi <@U9>", "ts": "1772443800.1"}
            ]
        },
    )
    (root / "dms.json").write_text(json.dumps([{"id": "D0DM00001", "members": ["U1", "U9"]}]))

    records, _, _ = _read(root)

    (record,) = records.values()
    assert record.native_id == "D0DM00001:1772443800.1"
    assert record.parts[0].text == "hi @U9"
    assert (record.parts[0].speaker, record.parts[0].role) == ("U9", "unknown")


def test_slack_undecodable_bytes_reject_only_that_message(tmp_path):
    root = _export(tmp_path, {})
    (root / "general").mkdir()
    day = json.dumps(
        [
            {"type": "message", "user": "U1", "text": "MARKER", "ts": "1772443800.000001"},
            {"type": "message", "user": "U2", "text": "fine", "ts": "1772443801.000001"},
        ]
    ).encode()
    (root / "general" / "2026-03-02.json").write_bytes(day.replace(b"MARKER", b"Gr\xfc\xdfe"))

    records, rejected, _ = _read(root)

    assert list(records) == ["C1:1772443801.000001"]
    assert [r.locator for r in rejected] == ["channel general, 2026-03-02.json, message 1"]
    assert "not valid utf-8" in rejected[0].reason
    records, _, _ = _read(root, encoding="cp1252")
    assert records["C1:1772443800.000001"].parts[0].text == "Grüße"


def test_slack_wrong_types_are_rejected_without_content(tmp_path):
    root = _export(
        tmp_path,
        {
            "general/2026-03-02": [
                "not a message",
                {"type": "message", "user": 42, "text": "secret words", "ts": "1772443800.1"},
                {"type": "message", "user": "U1", "text": ["secret"], "ts": "1772443800.2"},
                {"type": "message", "user": "U1", "text": "ok", "ts": 1772443800.3},
                {"type": "message", "user": "U1", "text": "kept", "ts": "1772443800.4"},
            ]
        },
    )

    records, rejected, _ = _read(root)

    assert list(records) == ["C1:1772443800.4"]
    reasons = [r.reason for r in rejected]
    assert reasons == [
        "message is not an object",
        "field 'user' is not a user id",
        "text: expected text, got list",
        "field 'ts' is not a Slack timestamp string",
    ]
    assert not any("secret" in reason for reason in reasons)


def test_slack_needs_a_folder_and_a_mapping_of_functions(tmp_path):
    with pytest.raises(ConfigError, match="export folder"):
        list(read_slack(tmp_path / "users.json"))
    with pytest.raises(ConfigError, match="function_by_channel"):
        list(read_slack(tmp_path, function_by_channel=["sales-*"]))


@pytest.mark.parametrize(
    ("mrkdwn", "text"),
    [
        ("<@U1> and <@U404>", "@Dana Whitfield and @U404"),
        ("<@U1|dana>", "@Dana Whitfield"),
        ("<#C1> <#C404|ops>", "#general #ops"),
        ("<!here> <!channel> <!everyone>", "@here @channel @everyone"),
        ("<!subteam^S123|@support-team> <!subteam^S123>", "@support-team @S123"),
        (
            "<https://example.com/a_b_c|docs> <mailto:a@example.com|a@example.com>",
            "docs a@example.com",
        ),
        ("<https:\\/\\/example.com\\/x>", "https://example.com/x"),
        ("5 &lt; 7 &amp;&amp; 7 &gt; 5", "5 < 7 && 7 > 5"),
        (
            "*bold* _italic_ ~struck~ `code` snake_case_name 2*3*4",
            "bold italic struck code snake_case_name 2*3*4",
        ),
        ("*<https://example.com|linked>*", "linked"),
    ],
)
def test_slack_mrkdwn_to_text(mrkdwn, text):
    directory = _Directory(
        users={"U1": _User("Dana Whitfield", False, "T1", None)}, channels={"C1": "general"}
    )
    assert mrkdwn_to_text(mrkdwn, directory) == text


def test_slack_forwarded_feedback_in_attachments_is_kept_and_link_previews_are_not(tmp_path):
    """Customer words relayed as a shared message or an integration's post (a feedback widget)
    live in attachments next to the staff's own text: they are read; a link preview is not."""
    shared = {"is_share": True, "is_msg_unfurl": True, "author_name": "Acme admin",
              "text": "Exports have failed every night since Tuesday."}  # fmt: skip
    widget = {"pretext": "New Contact form post", "title": "From: Acme Logistics",
              "fields": [{"title": "Message", "value": "Please add SAML for SSO."}]}  # fmt: skip
    preview = {"from_url": "https://docs.example.com/exports", "title": "Exports docs",
               "text": "Everything about exports."}  # fmt: skip
    root = _export(
        tmp_path,
        {
            "general/2026-03-02": [
                {"type": "message", "user": "U1", "ts": "1772443800.000010",
                 "text": "FYI from Acme, see below", "attachments": [shared]},
                {"type": "message", "user": "U2", "ts": "1772443800.000020",
                 "text": "Widget feedback", "attachments": [widget]},
                {"type": "message", "user": "U1", "ts": "1772443800.000030",
                 "text": "Read <https://docs.example.com/exports>", "attachments": [preview]},
            ]
        },
    )  # fmt: skip

    records, _, _ = _read(root)

    ordered = sorted(records.values(), key=lambda r: r.native_id)
    texts = ["\n".join(p.text for p in r.parts) for r in ordered]
    assert texts[0] == "FYI from Acme, see below\nExports have failed every night since Tuesday."
    assert texts[1] == (
        "Widget feedback\nNew Contact form post\nFrom: Acme Logistics\n"
        "Message: Please add SAML for SSO."
    )
    assert "Everything about exports" not in texts[2]
    # what is passed on is a part of its own, relayed: the poster's words stay theirs
    assert [(p.role, p.text) for p in ordered[0].parts] == [
        ("internal", "FYI from Acme, see below"),
        ("relayed", "Exports have failed every night since Tuesday."),
    ]
    assert [p.role for p in ordered[1].parts] == ["internal", "relayed"]
    assert [p.role for p in ordered[2].parts] == ["internal"]
