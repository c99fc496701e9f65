"""Insight units: sentences merged when too short, turns kept apart, boilerplate dropped by rule."""

from __future__ import annotations

import importlib
import itertools
import json
import re
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest
import spacy
from silobridge.errors import ConfigError
from silobridge.pipeline.understand import segment as seg
from silobridge.pipeline.understand.segment import (
    DROP_RULES,
    LINES,
    UNITS,
    add_segmenter,
    default_segmenter,
    segment,
    unit_id,
)
from silobridge.pipeline.understand.segment_rules import is_auto_reply, phatic_rule

from ...conftest import FIXTURES, ROOT


def _blank(drop_rules=DROP_RULES, **kwargs: Any):
    return add_segmenter(spacy.blank("en"), drop_rules=drop_rules, **kwargs)


@pytest.fixture(scope="module")
def nlp():
    """Blank English tokenizer + rule-based sentencizer + the segmentation components."""
    return _blank()


@pytest.fixture(scope="module")
def model_nlp():
    """The installed en_core_web_sm (sentence recogniser only), loaded once per session."""
    return default_segmenter()


def _parts(*turns: tuple[str, str]) -> list[dict[str, Any]]:
    ts = datetime(2026, 9, 3, 10, 14, tzinfo=UTC)
    return [
        {"speaker": f"{role}-{i}", "role": role, "timestamp": ts, "text": text}
        for i, (role, text) in enumerate(turns)
    ]


def _items(*items: str | list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for i, item in enumerate(items):
        if isinstance(item, str):
            rows.append({"item_id": f"item-{i}", "text": item, "parts": None})
        else:
            text = "\n".join(p["text"] for p in item)
            rows.append({"item_id": f"item-{i}", "text": text, "parts": item})
    return pd.DataFrame(rows)


def _run(item: str | list[dict[str, Any]], nlp) -> tuple[list[str], list[tuple[str, str]]]:
    """Unit texts and (rule, dropped text) of one item."""
    items = _items(item)
    result = segment(items, nlp=nlp)
    text = items.text[0]
    dropped = [(r.rule, text[r.start : r.end]) for r in result.dropped.itertuples()]
    return result.units.text.tolist(), dropped


def _kept(units: list[str]) -> str:
    return "\n".join(units)


# --- each drop rule, with an example it must drop -------------------------------------------------

EMAIL = (
    "Hi team,\n"
    "The CSV export fails for files over 50k rows. Dashboards are slow too.\n"
    "Thanks,\n"
    "Sam Lee\n"
    "Head of Data | Acme Corp\n"
    "Tel: +1 415 555 0100\n"
    "On Tue, Sep 3, 2026 at 10:14 AM Dana Park <dana@example.com> wrote:\n"
    "> Hello Sam,\n"
    ">\n"
    "> Please clear your browser cache and try again.\n"
    "> Dana"
)

QUOTE = EMAIL[EMAIL.index("On Tue") :]
HOPE = "Hope you're well."
DASHES = "-- \nSam Lee\nAcme Corp"

#: (rule, text of one turn, role, the span that rule must drop; None: the whole text)
RULE_CASES = [
    ("greeting", "Hi team,\nThe CSV export fails for files over 50k rows.", "customer", "Hi team,"),
    ("greeting", "Hello Sarah,\nOur SSO login broke this morning.", "customer", "Hello Sarah,"),
    ("greeting", "Hey Sam, the dashboards take a minute to load.", "customer", "Hey Sam,"),
    (
        "greeting",
        "Hope you're well.\nThe Salesforce sync skips records.",
        "customer",
        "Hope you're well.",
    ),
    ("greeting", "Good to see you again, Theo.", "internal", None),
    ("sign_off", "The CSV export fails again.\nThanks, Sam", "customer", "Thanks, Sam"),
    ("sign_off", "The CSV export fails again.\nBest regards", "customer", "Best regards"),
    (
        "sign_off",
        "The alerts are late.\nLooking forward to hearing from you.",
        "customer",
        "Looking forward to hearing from you.",
    ),
    ("signature", EMAIL, "customer", "Sam Lee\nHead of Data | Acme Corp\nTel: +1 415 555 0100"),
    (
        "signature",
        "Alerts fire twice.\n-- \nSam Lee\nAcme Corp",
        "customer",
        "-- \nSam Lee\nAcme Corp",
    ),
    (
        "signature",
        "Alerts fire twice since Monday.\nSam Lee\nOps Manager, Acme Corp\nsam@acme.example.com",
        "customer",
        "Sam Lee\nOps Manager, Acme Corp\nsam@acme.example.com",
    ),
    (
        "signature",
        "The mobile app crashes on login.\nSent from my iPhone",
        "customer",
        "Sent from my iPhone",
    ),
    ("quoted_reply", EMAIL, "customer", QUOTE),
    (
        "quoted_reply",
        "Still broken.\n-----Original Message-----\nFrom: Dana\nSent: Monday\nThe fix is live.",
        "customer",
        "-----Original Message-----\nFrom: Dana\nSent: Monday\nThe fix is live.",
    ),
    (
        "auto_reply",
        "Thank you for your email. I am out of the office until Monday 7 September with limited "
        "access to email. For urgent matters please contact Kai.",
        "customer",
        None,
    ),
    (
        "auto_reply",
        "Automatic reply: I'm currently on leave and will respond when I'm back.",
        "customer",
        None,
    ),
    (
        "bot_boilerplate",
        "Hi! I'm the Lumora bot. A member of our team will get back to you shortly.",
        "bot",
        None,
    ),
    (
        "bot_boilerplate",
        "Thanks for reaching out. The team typically replies in under 2 hours.",
        "bot",
        None,
    ),
    ("filler", "ok", "customer", None),
    ("filler", "thanks!", "customer", None),
    ("filler", "👍", "customer", None),
    ("filler", "Great, thank you.", "customer", None),
    ("filler", "Mm-hmm.", "customer", None),
]


@pytest.mark.parametrize(
    ("rule", "text", "role", "span"),
    RULE_CASES,
    ids=[f"{case[0]}-{i}" for i, case in enumerate(RULE_CASES)],
)
def test_segment_drop_rule_drops_its_example(nlp, rule, text, role, span):
    """Fails if the rule is removed: the span must be dropped, and by this rule."""
    units, dropped = _run(_parts((role, text)), nlp)
    span = span or text
    assert (rule, span) in dropped, dropped
    assert all(span not in unit and unit not in span for unit in units)


@pytest.mark.parametrize("rule", DROP_RULES)
def test_segment_without_a_rule_its_examples_are_kept(rule):
    """The other side of the test above: with the rule switched off its examples are not dropped
    by it, and at least one of them becomes a unit (no other rule does its work)."""
    nlp = _blank(drop_rules=[r for r in DROP_RULES if r != rule])
    kept_any = False
    for case_rule, text, role, span in RULE_CASES:
        if case_rule != rule:
            continue
        units, dropped = _run(_parts((role, text)), nlp)
        assert all(r != rule for r, _ in dropped)
        probe = re.sub(r"[\s>]+", " ", span or text).strip()
        kept_any |= probe in re.sub(r"[\s>]+", " ", " ".join(units))
    assert kept_any


def test_segment_email_keeps_only_the_feedback(nlp):
    units, dropped = _run(_parts(("customer", EMAIL)), nlp)
    assert units == [
        "The CSV export fails for files over 50k rows.",
        "Dashboards are slow too.",
    ]
    assert [r for r, _ in dropped] == [
        "greeting",
        "sign_off",
        "signature",
        "quoted_reply",
    ]


def test_segment_bot_card_keeps_the_relayed_feedback(nlp):
    text = (
        "New feature request :bulb:\nAcme Corp (Enterprise)\nThe export button is gone on mobile."
    )
    units, dropped = _run(_parts(("bot", text)), nlp)
    assert units == ["The export button is gone on mobile."]
    assert dropped == [("bot_boilerplate", "New feature request :bulb:\nAcme Corp (Enterprise)")]


def test_segment_bot_rules_apply_only_to_bots(nlp):
    text = "Our team will get back to you with the SSO certificate by Friday."
    units, _ = _run(_parts(("internal", text)), nlp)
    assert units == [text]


# --- what must be kept ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Thanks for fixing the export, but dashboards are still slow.",
        "Thanks, but this is still a problem for us.",
        "Great product, but the mobile app crashes daily.",
        "Ok so the SSO login fails every morning.",
        "Hello World app crashes when I open a dashboard.",
        "Hi-res exports would help our design team.",
        "Datawise quoted us 40% less than Lumora.",
        "Best analytics tool we've used.",
        "No.",
        "I'm on vacation until Monday, but the CSV export failed every night, please escalate.",
    ],
)
def test_segment_real_feedback_is_kept(nlp, text):
    units, dropped = _run(_parts(("customer", text)), nlp)
    assert units == [text] and dropped == []


def test_segment_company_and_product_names_survive_sign_offs(nlp):
    text = "We resell through two partners:\nBest Buy\nAcme Corp"
    units, dropped = _run(_parts(("customer", text)), nlp)
    assert "Best Buy" in _kept(units) and "Acme Corp" in _kept(units), dropped
    units, _ = _run(_parts(("customer", "Datawise"), ("customer", "Lumora Analytics")), nlp)
    assert units == ["Datawise", "Lumora Analytics"]


@pytest.mark.parametrize(
    ("sentence", "rule"),
    [
        ("Hi Sarah,", "greeting"),
        ("Thanks, Sam", "filler"),
        ("Please advise.", "sign_off"),
        ("Cool, appreciate it 🙏", "filler"),
        (":thumbsup:", "filler"),
        ("Thanks for fixing the export, but dashboards are still slow", None),
        ("Sounds good, but the pricing page is confusing.", None),
    ],
)
def test_segment_phatic_rule_needs_every_clause_empty(sentence, rule):
    assert phatic_rule(sentence) == rule


def test_segment_auto_reply_needs_more_than_a_holiday():
    assert is_auto_reply("I am out of the office until Monday with limited access to email.")
    assert not is_auto_reply("I'm on leave until Monday, but the export broke again.")
    assert not is_auto_reply("Out of the office " + "x" * 700)  # auto-replies are short


@pytest.mark.parametrize(
    "text",
    [
        "Abwesenheitsnotiz: Ich bin bis 3. Oktober nicht im Büro.",
        "Réponse automatique : je suis absente jusqu'au 21 octobre.",
        "Respuesta automática: estoy fuera de la oficina hasta el lunes.",
        "Automatisch antwoord: ik ben afwezig tot maandag.",
    ],
)
def test_segment_auto_reply_in_other_languages_is_dropped(text):
    assert is_auto_reply(text)
    # the word in a customer's own sentence is not a notice
    assert not is_auto_reply("Our " + text.split(":")[0].lower() + " template breaks the export.")


# --- units: merging and turns ---------------------------------------------------------------------


def test_segment_short_sentences_join_a_neighbour(nlp):
    units, _ = _run(_parts(("customer", "The export fails every night. Really annoying.")), nlp)
    assert units == ["The export fails every night. Really annoying."]
    units, _ = _run(
        _parts(("customer", "Quick question. Can we restrict a dashboard to one team?")), nlp
    )
    assert units == ["Quick question. Can we restrict a dashboard to one team?"]
    units, _ = _run(_parts(("customer", "Next steps\n- Send the SSO guide to their admin.")), nlp)
    assert units == ["Next steps\n- Send the SSO guide to their admin."]


def test_segment_a_short_turn_stands_alone(nlp):
    units, _ = _run(_parts(("customer", "Custom roles.")), nlp)
    assert units == ["Custom roles."]


def test_segment_asks_join_the_sentence_before(nlp):
    text = "Alerts arrive two hours late.\nIs this a known issue?"
    units, _ = _run(_parts(("customer", text)), nlp)
    assert units == [text]


def test_segment_min_tokens_is_configurable():
    text = "The export fails. Exports are slow."
    units, _ = _run(_parts(("customer", text)), _blank(min_tokens=3))
    assert units == ["The export fails.", "Exports are slow."]
    units, _ = _run(_parts(("customer", text)), _blank(min_tokens=4))
    assert units == [text]


def test_segment_a_staff_turn_passes_on_a_customer_in_a_unit_of_its_own(nlp):
    quote = 'fyi, Acme said on the call: "exports fail every night since the update"'
    units, _ = _run(_parts(("internal", quote)), nlp)
    assert units == ["fyi, Acme said on the call:", '"exports fail every night since the update"']
    frame = "Heard from Ana at Acme: the export fails every night since the update."
    units, _ = _run(_parts(("internal", frame)), nlp)
    assert units == ["Heard from Ana at Acme:", "the export fails every night since the update."]
    # a customer's own words, a time, a Slack emoji and a short label are never cut
    for role, text in [
        ("customer", frame),
        ("internal", "pipeline review at 3:30, bring your forecast and the numbers"),
        ("internal", "Another one :eyes: the export fails every night since the update"),
        ("internal", "Next step: send pricing."),
        ("internal", 'See =HYPERLINK("http://evil.example/x") for the export failures'),
        # a speaker's or account's label keeps its words: the label is the redaction's cue
        ("unknown", "- Anika: “We need an audit log of who changed permissions.”"),
        ("unknown", "Pinecrest Energy: Mid-Market, ~1481 employees, on Growth."),
        # a long sentence ending in a colon is content that goes on, not a frame
        (
            "unknown",
            "The in-game display is better organized and the scores page is far superior to the"
            " old one: you now see all games of the week on one screen.",
        ),
    ]:
        units, _ = _run(_parts((role, text)), nlp)
        assert units == [text], (role, text)


def test_segment_turns_are_never_merged(nlp):
    parts = _parts(("customer", "Export fails."), ("internal", "Fix ships Friday."))
    result = segment(_items(parts), nlp=nlp)
    units = result.units
    assert units.text.tolist() == ["Export fails.", "Fix ships Friday."]
    assert units.role.tolist() == ["customer", "internal"]
    assert units.part_index.tolist() == [0, 1]
    assert units.speaker.tolist() == ["customer-0", "internal-1"]
    assert (units.timestamp == pd.Timestamp("2026-09-03 10:14", tz="UTC")).all()


def test_segment_line_breaks_split_sentences_but_wrapped_lines_do_not(nlp):
    text = "Hi team,\nThe sync log says partial failure\nWe reconnected the integration twice"
    units, _ = _run(text, nlp)
    assert units == ["The sync log says partial failure", "We reconnected the integration twice"]
    wrapped = (
        "The CSV export has been failing every night since the upgrade and\n"
        "our finance team cannot close the books."
    )
    units, _ = _run(wrapped, nlp)
    assert units == [wrapped]


# --- invariants -----------------------------------------------------------------------------------


def _corpus() -> pd.DataFrame:
    items = _items(
        _parts(("customer", EMAIL), ("internal", "Hello Sam,\nA fix ships Friday.\nBest,\nDana")),
        _parts(
            ("bot", "Hi there! A teammate will be with you shortly."),
            ("customer", "ok"),
            ("customer", "The Board Pack dashboard takes 45 seconds to load. Really slow!"),
        ),
        "Debrief\n\nWhat we heard\n- They want SSO.\n- Pricing is unclear.\n\nNext steps\n- J",
        "",
        "   \n ",
        _parts(("customer", "Survey answer one."), ("customer", "  ")),
    )
    mismatched = {"item_id": "odd", "text": "Hi,\nThe text differs from its parts. Thanks!"}
    mismatched["parts"] = _parts(("customer", "something else"))
    nan_parts = {"item_id": "nan", "text": "Dashboards freeze in Safari.", "parts": float("nan")}
    return pd.concat([items, pd.DataFrame([mismatched, nan_parts])], ignore_index=True)


def _assert_invariants(items: pd.DataFrame, nlp) -> None:
    result = segment(items, nlp=nlp)
    units, dropped = result.units, result.dropped
    text_of = dict(zip(items.item_id, items.text, strict=True))
    assert list(units.columns) == list(seg.UNIT_COLUMNS)
    assert units.item_id.notna().all() and set(units.item_id) <= set(items.item_id)
    assert units.unit_id.is_unique
    for item_id, text in text_of.items():
        mine = units[units.item_id == item_id].sort_values("position")
        assert mine.position.tolist() == list(range(len(mine)))
        assert (mine.start.to_numpy()[1:] >= mine.end.to_numpy()[:-1]).all()
        for unit in mine.itertuples():
            assert text[unit.start : unit.end] == unit.text and unit.text.strip() == unit.text
            assert unit.unit_id == unit_id(item_id, unit.position)
        spans = [(u.start, u.end) for u in mine.itertuples()]
        spans += [(d.start, d.end) for d in dropped[dropped.item_id == item_id].itertuples()]
        spans.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
        rebuilt = "".join(text[s:e] for s, e in spans)
        assert re.sub(r"\s", "", rebuilt) == re.sub(r"\s", "", text or "")


def test_segment_invariants_hold(nlp):
    """No unit loses its item; units are in order, disjoint, exact slices; with the dropped spans
    they rebuild every item's text (whitespace aside)."""
    _assert_invariants(_corpus(), nlp)


def test_segment_invariants_hold_on_weird_text(nlp):
    rows = [json.loads(line) for line in (FIXTURES / "weird_text.jsonl").read_text().splitlines()]
    items = pd.DataFrame({"item_id": [r["id"] for r in rows], "text": [r["body"] for r in rows]})
    _assert_invariants(items, nlp)


def test_segment_mismatched_parts_become_one_unknown_turn(nlp):
    result = segment(_corpus(), nlp=nlp)
    odd = result.units[result.units.item_id == "odd"]
    assert odd.role.tolist() == ["unknown"] and odd.part_index.isna().all()
    assert odd.text.tolist() == ["The text differs from its parts."]


def test_segment_items_without_parts_take_created_at(nlp):
    items = pd.DataFrame(
        {"item_id": ["a"], "text": ["Pricing page is confusing."], "created_at": ["2026-10-01"]}
    )
    units = segment(items, nlp=nlp).units
    assert units.timestamp.tolist() == [pd.Timestamp("2026-10-01", tz="UTC")]
    assert units.role.tolist() == ["unknown"]


def test_segment_stats_count_each_rule_and_the_kept_text(nlp):
    items = _items(_parts(("customer", EMAIL)))
    stats = segment(items, nlp=nlp).stats
    assert list(stats.index) == [*DROP_RULES, "kept"]
    assert stats.loc["kept", "spans"] == 2 and stats.loc["greeting", "chars"] == len("Hiteam,")
    assert stats["share"].sum() == pytest.approx(1.0)


def test_segment_unit_ids_are_stable(nlp):
    first = segment(_corpus(), nlp=nlp).units.unit_id.tolist()
    assert segment(_corpus(), nlp=nlp).units.unit_id.tolist() == first


def test_segment_empty_input(nlp):
    result = segment(pd.DataFrame({"item_id": [], "text": []}), nlp=nlp)
    assert result.units.empty and result.dropped.empty
    assert list(result.units.columns) == list(seg.UNIT_COLUMNS)


# --- the docs' examples are run -------------------------------------------------------------------

DOC = (ROOT / "docs" / "segmentation.md").read_text()
_SECTION = re.compile(r"^### `(\w+)`\n(.*?)(?=^##)", re.M | re.S)
_BLOCK = re.compile(r"^```(text|dropped|kept)(?: role=(\w+))?\n(.*?)\n```$", re.M | re.S)


def _doc_examples() -> list[tuple[str, str, str, str | None]]:
    """(rule, role, text, dropped span or None for a turn kept whole) from docs/segmentation.md."""
    examples = []
    for rule, body in _SECTION.findall(DOC):
        blocks = _BLOCK.findall(body)
        for (kind, role, text), (next_kind, _, span) in zip(
            blocks, [*blocks[1:], ("", "", "")], strict=True
        ):
            if kind == "text":
                assert next_kind == "dropped", f"{rule}: a text block needs a dropped block"
                examples.append((rule, role, text, span))
            elif kind == "kept":
                examples.append((rule, role, text, None))
    return examples


def test_segment_docs_document_every_rule_with_examples():
    examples = _doc_examples()
    for rule in DROP_RULES:
        assert any(r == rule and span for r, _, _, span in examples), f"no example of {rule}"


@pytest.mark.parametrize(("rule", "role", "text", "span"), _doc_examples())
def test_segment_docs_examples_hold(nlp, rule, role, text, span):
    units, dropped = _run(_parts((role, text)), nlp)
    if span is None:
        assert units == [text] or " ".join(units).split() == text.split(), (units, dropped)
    else:
        assert (rule, span) in dropped, dropped


# --- pipelines, errors ----------------------------------------------------------------------------


def test_segment_bad_input_names_the_problem(nlp):
    with pytest.raises(ConfigError, match="lack the column"):
        segment(pd.DataFrame({"id": [1]}), nlp=nlp)
    with pytest.raises(ConfigError, match="must be a pandas DataFrame"):
        segment(["text"], nlp=nlp)
    with pytest.raises(ConfigError, match=r"Unknown drop rule\(s\) 'greetings'. Available: "):
        _blank(drop_rules=["greetings"])
    with pytest.raises(ConfigError, match="min_tokens"):
        _blank(min_tokens=0)


def test_segment_components_survive_a_module_reload():
    importlib.reload(seg)
    nlp = seg.add_segmenter(spacy.blank("en"))
    seg.add_segmenter(nlp)  # twice: nothing is added again
    assert nlp.pipe_names == [LINES, "sentencizer", UNITS]
    doc = nlp("Hi team,\nThe export fails.")
    assert doc._.sb_units == [(9, 26)]


def test_segment_real_model_pipeline(model_nlp):
    assert model_nlp.pipe_names == [LINES, "senter", UNITS]
    parts = _parts(
        ("customer", EMAIL),
        ("bot", "Got it! We've passed your message to the Customer Success team."),
        ("customer", "e.g. the Q3 KPIs dashboard never loads. Datawise is 40% cheaper, btw."),
    )
    units, dropped = _run(parts, model_nlp)
    assert units == [
        "The CSV export fails for files over 50k rows.",
        "Dashboards are slow too.",
        "e.g. the Q3 KPIs dashboard never loads.",
        "Datawise is 40% cheaper, btw.",
    ]
    assert "bot_boilerplate" in {r for r, _ in dropped}
