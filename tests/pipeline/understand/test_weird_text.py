"""Text a user will really send: injection strings, CJK, RTL, emoji, control characters, blanks."""

from __future__ import annotations

import silobridge
from silobridge.pipeline.ingest import run_ingest

from ...conftest import FIXTURES, make_source


def test_weird_text_is_stored_verbatim_cleaned_or_quarantined(store_path):
    source = make_source(
        "jsonl",
        FIXTURES / "weird_text.jsonl",
        channel="message",
        mapping={"native_id": "id", "text": "body"},
    )
    counts = run_ingest(store_path, [source]).totals
    store = silobridge.open_store(store_path)
    text = store.items().set_index("native_id")["text"]
    # whitespace-only and invisible-only texts say nothing: skipped, not quarantined
    assert (counts.read, counts.quarantined, counts.skipped) == (10, 0, 2)
    assert counts.skipped_reasons == {"no text (nothing to analyse)": 2}
    assert text["sql"] == "Robert'); DROP TABLE items;--"  # data, never code
    assert text["html"] == "<script>alert('x')</script> & <b>bold</b>"  # kept as written
    assert text["cjk"] == "ダッシュボードの読み込みが遅すぎます。"
    assert "🎉👍🏽" in text["emoji"]
    assert text["control"] == "Export fails after[31m the update"  # control characters gone
    assert text["nbsp"] == "SSO login fails"
    assert text["zalgo"] == "\u00c9\u0302xport f\u00e4ils"  # NFC: composed where Unicode has it
    assert text["format"] == "{0} %s ${HOME} {{user}}"
    assert len(text["long"]) == len("slow " * 20000) - 1
