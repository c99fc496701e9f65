"""The ``notes`` connector: Markdown/text call notes with front matter, and WebVTT transcripts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from silobridge.errors import ConfigError
from silobridge.extractors import CONNECTORS, Record, Rejected
from silobridge.extractors.notes import markdown_to_text, read_notes
from silobridge.extractors.registry import iter_input_files

V1 = Path(__file__).parent.parent / "fixtures" / "notes" / "v1"
V2 = V1.parent / "v2"
STAFF = ["Raj Patel", "Sam Ortiz", "Mei Chen"]


def _one(path: Path, **options) -> Record | Rejected:
    (item,) = read_notes(path, **options)
    return item


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _read_folder(folder: Path) -> list:
    files = iter_input_files(CONNECTORS["notes"], folder)
    return [item for f in files for item in read_notes(f, internal_speakers=STAFF)]


def test_notes_front_matter_gives_id_title_account_function_and_metadata():
    note = _one(V1 / "2026-09-14-acme-discovery.md")
    assert note.native_id == "note-2026-0914-acme"
    assert note.title == "Acme Logistics discovery call"
    assert (note.account, note.function, note.channel) == ("Acme Logistics", "Sales", None)
    assert note.created_at == datetime(2026, 9, 14, 13, 30, tzinfo=UTC)  # 15:30+02:00
    assert note.updated_at == note.created_at
    assert note.metadata["attendees"] == ["Raj Patel", "Dana Whitfield", "Tom Okafor"]
    assert note.metadata["tags"] == ["discovery", "sso", "reporting"]
    assert note.metadata["author"] == "Raj Patel"
    assert "title:" not in note.text and "---" not in note.text


def test_notes_markdown_becomes_plain_text():
    text = _one(V1 / "2026-09-14-acme-discovery.md").text
    assert "**" not in text and "#" not in text and "](" not in text
    assert "- They need SSO with Okta before any rollout, see their checklist." in text
    assert "Tom from IT joined for the security part." in text
    assert "2. Demo the reporting module next week." in text


def test_notes_markdown_details():
    text, heading = markdown_to_text(
        "Intro\n===\n\n+ [ ] call back\n> quoted *and* `code`\n\n```\nraw **kept**\n```\n"
        "![diagram](d.png) <https://x.example> snake_case_name\n\n[ref]: https://x.example\n"
    )
    assert heading == "Intro"
    assert text.splitlines() == [
        "Intro",
        "",
        "- call back",
        "quoted and code",
        "",
        "raw **kept**",
        "diagram https://x.example snake_case_name",
    ]


def test_notes_without_front_matter_take_file_name_date_and_first_heading():
    note = _one(V1 / "2026-09-15-globex-renewal.md")
    assert note.native_id == "2026-09-15-globex-renewal.md"
    assert note.title == "Globex renewal check-in"
    assert note.created_at == datetime(2026, 9, 15, tzinfo=UTC)
    assert '"If I have to open Excel again for this, we are out." (Hank)' in note.text


def test_notes_setext_heading_table_and_channel_from_front_matter():
    note = _one(V1 / "initech-onboarding.md")
    assert note.title == "Onboarding feedback"
    assert note.channel == "call"
    assert note.created_at is None  # no date anywhere: notes may be undated
    assert "Permissions | confusing" in note.text and "---" not in note.text


def test_notes_dates_without_zone_are_read_in_tz(tmp_path):
    path = _write(tmp_path, "2026-09-14-call.md", "Body")
    assert _one(path, tz="America/New_York").created_at == datetime(2026, 9, 14, 4, tzinfo=UTC)
    dated = _write(tmp_path, "x.md", "---\ndate: 2026-09-14 09:00\n---\nBody")
    assert _one(dated, tz="Europe/Berlin").created_at == datetime(2026, 9, 14, 7, tzinfo=UTC)


def test_notes_plain_text_file_keeps_its_lines_untouched_by_markdown():
    note = _one(V1 / "2026-09-17-umbrella-support-sync.txt")
    assert note.title is None
    assert note.text.splitlines()[0] == "Umbrella Health - support sync, 17 Sep 2026"
    assert note.metadata == {"format": "text"}


def test_notes_invalid_front_matter_is_rejected_with_its_line_not_its_content():
    item = _one(V1 / "2026-09-18-hooli-escalation.md")
    assert isinstance(item, Rejected) and item.locator == "file"
    assert item.reason.startswith("invalid front matter: ")
    assert item.reason.endswith("(line 6)")
    assert "Gavin" not in item.reason
    assert "Gavin escalated" in item.raw


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("---\ntitle: [a, b]\n---\nBody", "front matter 'title': expected text, got a list"),
        ("---\ndate: someday soon\n---\nBody", "front matter 'date': not a recognisable timestamp"),
        (
            "---\n- a\n- b\n---\nBody",
            "invalid front matter: expected 'key: value' lines, got a list",
        ),
        (
            "---\ntitle: x\nBody without the closing line",
            "invalid front matter: no closing '---' line",
        ),
        ("---\ndate: 2026-02-30\n---\nBody", "invalid front matter: a value is out of range"),
        ("---\nid: {a: 1}\n---\nBody", "id: expected a string or integer id, got dict"),
    ],
)
def test_notes_bad_front_matter_values_are_rejected(tmp_path, content, reason):
    item = _one(_write(tmp_path, "n.md", content))
    assert isinstance(item, Rejected)
    assert item.reason == reason


def test_notes_binary_empty_and_undecodable_files_are_rejected(tmp_path):
    assert "binary" in _one(V1 / "whiteboard-scan.txt").reason
    assert _one(_write(tmp_path, "empty.md", "")).reason == "empty file"
    latin = _write(tmp_path, "cafe.txt", "R\xe9sum\xe9 of the call".encode("cp1252"))
    assert "encoding" in _one(latin).reason
    assert _one(latin, encoding="cp1252").text == "Résumé of the call"


def test_notes_front_matter_only_gives_a_record_with_empty_text(tmp_path):
    note = _one(_write(tmp_path, "n.md", "---\nid: 42\ntitle: Placeholder\n---\n"))
    assert (note.native_id, note.title, note.text) == ("42", "Placeholder", "")


def test_notes_vtt_merges_cues_per_speaker_with_roles_and_timestamps():
    call = _one(V1 / "2026-09-16-contoso-qbr.vtt", internal_speakers=STAFF)
    assert (call.channel, call.native_id, call.text) == ("call", "2026-09-16-contoso-qbr.vtt", "")
    assert [(p.speaker, p.role) for p in call.parts] == [
        ("Raj Patel", "internal"),
        ("Priya Raman", "customer"),
        ("Raj Patel", "internal"),
        (None, "unknown"),
        ("Priya Raman", "customer"),
    ]
    assert call.parts[1].text == (
        "Sure. Adoption is up, but the Okta login still drops group claims "
        "so half of our analysts only get viewer rights."
    )
    assert call.created_at == datetime(2026, 9, 16, tzinfo=UTC)
    assert call.parts[1].timestamp == datetime(2026, 9, 16, 0, 0, 6, 500000, tzinfo=UTC)
    assert call.title == "contoso qbr"
    assert call.metadata["speakers"] == ["Priya Raman", "Raj Patel"]


def test_notes_vtt_roles_are_unknown_without_internal_speakers():
    call = _one(V1 / "2026-09-16-contoso-qbr.vtt")
    assert {p.role for p in call.parts} == {"unknown"}


def test_notes_vtt_voice_tags_note_title_invalid_cues_and_zoom_file_names(tmp_path):
    content = (
        "WEBVTT - Zoom\r\nKind: captions\r\n\r\nNOTE Globex weekly sync\r\n\r\n"
        "00:01.000 --> 00:04.000\r\n<v Hank Scorpio>We need <i>scheduled</i> reports.</v>\r\n\r\n"
        "2\r\n00:00:05.000 --> broken\r\nLost cue\r\n\r\n"
        "3\r\n00:00:09.250 --> 00:00:12.000 align:start\r\n"
        "Sam Ortiz: Noted, I will\r\nfollow up.\r\n"
    )
    call = _one(_write(tmp_path, "GMT20260914-100012_Recording.transcript.vtt", content))
    assert call.title == "Globex weekly sync"
    assert [(p.speaker, p.text) for p in call.parts] == [
        ("Hank Scorpio", "We need scheduled reports."),
        ("Sam Ortiz", "Noted, I will follow up."),
    ]
    assert call.metadata["invalid_cues"] == 1
    assert call.created_at == datetime(2026, 9, 14, 10, 0, 12, tzinfo=UTC)
    assert call.parts[1].timestamp == datetime(2026, 9, 14, 10, 0, 21, 250000, tzinfo=UTC)
    undated = _one(_write(tmp_path, "sync.vtt", content))
    assert undated.created_at is None and undated.parts[0].timestamp is None


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("1\n00:00:01.000 --> 00:00:02.000\nHi\n", "not a WebVTT file"),
        ("WEBVTTX\n\n00:00:01.000 --> 00:00:02.000\nHi\n", "not a WebVTT file"),
        ("WEBVTT\n\nNOTE only a note\n\n1\nno timing here\n", "no valid cue"),
    ],
)
def test_notes_vtt_without_header_or_cues_is_rejected(tmp_path, content, reason):
    item = _one(_write(tmp_path, "t.vtt", content))
    assert isinstance(item, Rejected) and item.reason.startswith(reason)


def test_notes_zoom_chat_text_file_becomes_a_chat_with_parts(tmp_path):
    content = (
        "00:03:10\tPriya Raman:\tCan you share the roadmap slide?\n"
        "00:03:42\tRaj Patel:\tSure, sending it now.\nIt is the October one.\n"
    )
    chat = _one(_write(tmp_path, "2026-09-16-chat.txt", content), internal_speakers=STAFF)
    assert chat.channel == "chat"
    assert [(p.speaker, p.role, p.text) for p in chat.parts] == [
        ("Priya Raman", "customer", "Can you share the roadmap slide?"),
        ("Raj Patel", "internal", "Sure, sending it now.\nIt is the October one."),
    ]
    assert chat.parts[0].timestamp == datetime(2026, 9, 16, 0, 3, 10, tzinfo=UTC)


def test_notes_folder_v1_and_v2_differ_in_exactly_the_updated_note():
    v1, v2 = _read_folder(V1), _read_folder(V2)
    assert sum(isinstance(i, Record) for i in v1) == 5
    assert sorted(i.path.rsplit("/", 1)[1] for i in v1 if isinstance(i, Rejected)) == [
        "2026-09-18-hooli-escalation.md",
        "whiteboard-scan.txt",
    ]
    before = {r.native_id: r for r in v1 if isinstance(r, Record)}
    after = {r.native_id: r for r in v2 if isinstance(r, Record)}
    changed = [
        k
        for k in before
        if (before[k].text, before[k].updated_at) != (after[k].text, after[k].updated_at)
    ]
    assert changed == ["note-2026-0914-acme"]
    assert after[changed[0]].updated_at == datetime(2026, 9, 20, 7, tzinfo=UTC)
    assert "legal review starts Monday" in after[changed[0]].text


def test_notes_invalid_options_are_config_errors(tmp_path):
    path = _write(tmp_path, "n.md", "Body")
    with pytest.raises(ConfigError, match="internal_speakers"):
        list(read_notes(path, internal_speakers="Raj Patel"))
    with pytest.raises(ConfigError, match="time zone"):
        list(read_notes(path, tz="Mars/Olympus"))
