"""Segmentation on the bundled sample: units per item, text dropped per rule and kept, units/s.

The bundled sample is ingested into a temporary store (or ``--store`` is read), then in one
process:

1. **speed**: the default pipeline (en_core_web_sm's ``senter`` + the two segmentation
   components) loaded once, then :func:`segment` on every item ``--repeat`` times; the median
   counts (the machines are shared). Units/s, turns/s and items/s.
2. **what is dropped**: spans and non-space characters per rule, as a share of all the sample's
   text, overall and per source; units per item.
3. **against the generator**: the sample generator (``data/sample/_world.py`` and friends) knows
   which phrases it wrote as greetings, sign-offs, signatures, quotes, auto-replies, bot messages
   and fillers. Its phrase lists label the sample's lines and sentences (this script only: the
   rules never see them), and each label's characters are counted as dropped or kept:
   ``boilerplate`` (what the rules should drop), ``gray`` (generic openers, asks, small talk, call
   choreography: not insight, not required to go) and ``content`` (the rest: should be kept).
4. **sentence splitters** (``--splitters``): the same run with the parser and with the
   rule-based sentencizer instead of ``senter``: time, units, and the share of units identical
   to the default's.

Results are printed and written to benchmarks/out/segment.json.

    .venv/bin/python benchmarks/eval_segment.py [--repeat 3] [--splitters] [--store PATH]
"""

from __future__ import annotations

import argparse
import html
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SAMPLE = ROOT / "data" / "sample"
BOILERPLATE = (
    "greeting",
    "sign_off",
    "signature",
    "quoted_reply",
    "auto_reply",
    "bot_boilerplate",
    "filler",
)


def load_items(store: str | None) -> pd.DataFrame:
    """The sample's items: from ``store``, or ingested from the bundled sample into a temp dir."""
    import silobridge

    if store:
        return silobridge.open_store(store).items()
    from silobridge.config import load_config
    from silobridge.pipeline.ingest import run_ingest

    cfg = load_config(SAMPLE / "silobridge.sample.toml")
    with tempfile.TemporaryDirectory() as tmp:
        run_ingest(Path(tmp) / "store", list(cfg.sources.values()), config_hash=cfg.config_hash())
        return silobridge.open_store(Path(tmp) / "store").items()


# --- the generator's phrase lists as labels ------------------------------------------------------


_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_ON_WROTE = re.compile(r"On .+ wrote:")
_NO_WORDS = re.compile(r"[^\w]*|(?::[a-z_]+:\s*)+")  # emoji, Slack emoji codes


def _template(text: str) -> re.Pattern[str]:
    """A generator template ("Hi {name},") as a pattern over a stripped line or sentence."""
    escaped = re.escape(html.unescape(re.sub(r"<[^>]+>", "", text)).strip())
    pattern = re.sub(r"\\\{\w+\\\}", r".+?", escaped)
    return re.compile(pattern + r"(?:\s*(?::[a-z_]+:|[^\w\s]))*")


def generator_phrases() -> dict[str, list[re.Pattern[str]]]:
    sys.path.insert(0, str(SAMPLE))
    try:
        import _calls
        import _slack
        import _support
        import _world
    finally:
        sys.path.remove(str(SAMPLE))
    groups = {
        "greeting": [*_world.GREETINGS, *_world.NAMED_GREETINGS, *_world.AGENT_GREETINGS],
        "sign_off": list(_world.SIGNOFFS),
        "auto_reply": list(_world.AUTO_REPLIES),
        "bot_boilerplate": list(_support.BOT_GREETINGS),
        "filler": [*_world.FILLERS, *_calls.BACKCHANNEL],
        "gray": [
            *(o for o in _world.OPENERS if o),
            *(a for a in _world.ASKS if a),
            *_support.CLOSERS,
            *_slack.ACKS,
            *(line for pair in _calls.SMALL_TALK for line in pair),
            *(line for pair in _calls.NEXT_STEPS for line in pair),
            *_calls.AGENDA,
            *_calls.DEMO,
        ],
    }
    # Phrases the generator writes inline rather than in a named list (_support.py, _crm.py).
    groups["greeting"] += ["hi!", "Hey there,", "Hello 👋", "hi team", "Good morning!"]
    groups["gray"] += [
        "Anything else I can help with?",
        "Let me know if that helps!",
        "Closing this for now, just reply to reopen.",
        "Glad we got there!",
    ]
    groups["signature"] = ["Direct line: {phone}"]
    # A template of two sentences ("Perfect. I'll set this to solved.") is matched sentence by
    # sentence too, since the text is labelled by sentence.
    for name in ("gray", "filler"):
        groups[name] += [p for t in groups[name] for p in _SENTENCE.split(t) if p != t]
    return {k: [_template(t) for t in v] for k, v in groups.items()}


def oracle_spans(items: pd.DataFrame) -> dict[str, list[tuple[int, int, str]]]:
    """Per item: ``(start, end, label)`` over its text, labels from the generator's lists."""
    from silobridge.pipeline.understand.segment import turns

    phrases = generator_phrases()

    def match(text: str, *groups: str) -> str | None:
        for group in groups:
            if any(p.fullmatch(text) for p in phrases[group]):
                return group
        return None

    signoffs = set(phrases["sign_off"])
    out: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for turn in turns(items):
        text, base = turn.text, turn.offset
        spans = out[turn.item_id]
        stripped = text.strip()
        whole = match(stripped, "auto_reply", "filler") or (
            "bot_boilerplate" if turn.role == "bot" and match(stripped, "bot_boilerplate") else None
        )
        if whole:
            spans.append((base, base + len(text), whole))
            continue
        lines, pos = [], 0
        for line in text.split("\n"):
            lines.append((pos, line))
            pos += len(line) + 1
        state = None  # "signature" after a sign-off, "quote" in a quoted reply
        for k, (start, line) in enumerate(lines):
            s, e = base + start, base + start + len(line)
            content = line.strip()
            if not content:
                continue
            if _ON_WROTE.fullmatch(content) or content.startswith(">"):
                state = "quote"
                spans.append((s, e, "quoted_reply"))
            elif state == "quote":
                state = None
                spans.append((s, e, "content"))
            elif state == "signature":
                spans.append((s, e, "signature"))
            elif any(p.fullmatch(content) for p in signoffs) and k > 0:
                state = "signature"
                spans.append((s, e, "sign_off"))
            elif turn.role == "bot" and k < len(lines) - 1:
                spans.append((s, e, "bot_boilerplate"))  # the card's header lines
            elif label := match(content, "greeting", "signature"):
                spans.append((s, e, label))
            else:
                offset = 0
                for sentence in _SENTENCE.split(line):
                    i = line.index(sentence, offset)
                    offset = i + len(sentence)
                    label = match(sentence.strip(), "filler", "gray") or "content"
                    if _NO_WORDS.fullmatch(sentence.strip()):
                        label = "filler"
                    spans.append((s + i, s + i + len(sentence), label))
    return out


def score_against_oracle(
    items: pd.DataFrame,
    units: pd.DataFrame,
    dropped: pd.DataFrame,
    oracle: dict[str, list[tuple[int, int, str]]],
) -> dict[str, Any]:
    """Non-space characters of each generator label and the share the rules dropped; units
    without a single character of content, by the label of what they hold."""
    masks: dict[str, np.ndarray] = {}
    texts = dict(zip(items.item_id, items.text, strict=True))
    rule_at: dict[str, np.ndarray] = {}
    rules = list(BOILERPLATE)
    for item_id, text in texts.items():
        masks[item_id] = np.array([not c.isspace() for c in text], dtype=bool)
        rule_at[item_id] = np.full(len(text), -1, dtype=np.int8)
    for row in dropped.itertuples():
        rule_at[row.item_id][row.start : row.end] = rules.index(row.rule)
    totals: dict[str, dict[str, Any]] = {}
    for item_id, spans in oracle.items():
        nonspace, at = masks[item_id], rule_at[item_id]
        for s, e, label in spans:
            chars = int(nonspace[s:e].sum())
            hit = at[s:e][nonspace[s:e]]
            entry = totals.setdefault(
                label, {"chars": 0, "dropped": 0, "by_rule": defaultdict(int)}
            )
            entry["chars"] += chars
            entry["dropped"] += int((hit >= 0).sum())
            for r, n in zip(*np.unique(hit[hit >= 0], return_counts=True), strict=True):
                entry["by_rule"][rules[r]] += int(n)
    content: dict[str, np.ndarray] = {i: np.zeros(len(t), dtype=bool) for i, t in texts.items()}
    for item_id, spans in oracle.items():
        for s, e, label in spans:
            if label == "content":
                content[item_id][s:e] = True
    empty: Counter[str] = Counter()
    empty_roles: Counter[str] = Counter()
    for unit in units.itertuples():
        if not content[unit.item_id][unit.start : unit.end].any():
            labels = {
                label for s, e, label in oracle[unit.item_id] if s < unit.end and unit.start < e
            }
            empty["+".join(sorted(labels)) or "unlabelled"] += 1
            empty_roles[unit.role] += 1
    result: dict[str, Any] = {
        "units_without_content": {
            "units": sum(empty.values()),
            "share": round(sum(empty.values()) / len(units), 4) if len(units) else 0,
            "by_label": dict(empty.most_common()),
            "by_role": dict(empty_roles.most_common()),
        }
    }
    for label, entry in sorted(totals.items()):
        result[label] = {
            "chars": entry["chars"],
            "dropped_share": round(entry["dropped"] / entry["chars"], 4) if entry["chars"] else 0,
            "dropped_by_rule": dict(sorted(entry["by_rule"].items())),
        }
    boiler = [totals[k] for k in BOILERPLATE if k in totals]
    chars = sum(t["chars"] for t in boiler)
    result["all_boilerplate"] = {
        "chars": chars,
        "dropped_share": round(sum(t["dropped"] for t in boiler) / chars, 4) if chars else 0,
    }
    return result


# --- runs ----------------------------------------------------------------------------------------


def timed_runs(items: pd.DataFrame, nlp, repeat: int):
    from silobridge.pipeline.understand.segment import segment

    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = segment(items, nlp=nlp)
        times.append(time.perf_counter() - t0)
    return result, times


def splitter_pipelines():
    import spacy
    from silobridge.pipeline.understand.segment import MODEL, add_segmenter

    parser = spacy.load(MODEL, exclude=["tagger", "attribute_ruler", "lemmatizer", "ner", "senter"])
    return {
        "parser": add_segmenter(parser),
        "sentencizer": add_segmenter(spacy.blank("en")),
    }


def share_same(a: pd.DataFrame, b: pd.DataFrame) -> float:
    keys = set(zip(a.item_id, a.start, a.end, strict=True))
    same = keys & set(zip(b.item_id, b.start, b.end, strict=True))
    return round(len(same) / len(keys), 4) if keys else 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (default 3)")
    parser.add_argument("--store", help="read items from this store instead of ingesting")
    parser.add_argument("--splitters", action="store_true", help="compare sentence splitters")
    parser.add_argument("--out", default=str(HERE / "out" / "segment.json"))
    args = parser.parse_args()

    from silobridge.pipeline.understand.segment import ALGORITHM, default_segmenter, turns

    items = load_items(args.store)
    n_turns = sum(1 for t in turns(items) if t.text.strip())
    t0 = time.perf_counter()
    nlp = default_segmenter()
    load_s = time.perf_counter() - t0
    result, times = timed_runs(items, nlp, args.repeat)
    assert result is not None
    units, dropped, stats = result.units, result.dropped, result.stats
    median = statistics.median(times)

    per_item = units.groupby("item_id").size().reindex(items.item_id, fill_value=0)
    by_source: dict[str, Any] = {}
    for name, group in items.groupby("source"):
        ids = set(group.item_id)
        sub_units = units[units.item_id.isin(ids)]
        sub_dropped = dropped[dropped.item_id.isin(ids)]
        total = sum(len("".join(t.split())) for t in group.text)
        shares = {"kept": len("".join("".join(sub_units.text).split())) / total}
        for rule, spans in sub_dropped.groupby("rule"):
            text_of = dict(zip(group.item_id, group.text, strict=True))
            chars = sum(
                len("".join(text_of[i][s:e].split()))
                for i, s, e in zip(spans.item_id, spans.start, spans.end, strict=True)
            )
            shares[str(rule)] = chars / total
        by_source[str(name)] = {
            "items": len(group),
            "units": len(sub_units),
            "units_per_item": round(len(sub_units) / len(group), 2),
            "text_share": {k: round(v, 4) for k, v in sorted(shares.items())},
        }

    report: dict[str, Any] = {
        "command": "python benchmarks/eval_segment.py " + " ".join(sys.argv[1:]),
        "algorithm": ALGORITHM,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "date": time.strftime("%Y-%m-%d"),
        "sample": {
            "items": len(items),
            "turns": n_turns,
            "chars_nonspace": int(sum(len("".join(t.split())) for t in items.text)),
        },
        "pipeline": {"pipe_names": nlp.pipe_names, "load_s": round(load_s, 2)},
        "speed": {
            "runs_s": [round(t, 3) for t in times],
            "median_s": round(median, 3),
            "units_per_s": round(len(units) / median),
            "turns_per_s": round(n_turns / median),
            "items_per_s": round(len(items) / median),
        },
        "units": {
            "total": len(units),
            "per_item": {
                "mean": round(float(per_item.mean()), 2),
                "median": float(per_item.median()),
                "p90": float(per_item.quantile(0.9)),
                "max": int(per_item.max()),
                "items_without_units": int((per_item == 0).sum()),
            },
            "words_per_unit_median": float(units.text.str.split().str.len().median()),
            "by_role": units.role.value_counts().to_dict(),
        },
        "rules": {
            str(rule): {
                "spans": int(row.spans),
                "chars": int(row.chars),
                "share": round(row.share, 4),
            }
            for rule, row in stats.iterrows()
        },
        "dropped_share": round(float(stats.drop(index="kept")["share"].sum()), 4),
        "by_source": by_source,
        "against_generator": score_against_oracle(items, units, dropped, oracle_spans(items)),
    }
    if args.splitters:
        report["splitters"] = {
            "senter": {"median_s": round(median, 3), "units": len(units), "same_units": 1.0}
        }
        for name, other in splitter_pipelines().items():
            other_result, other_times = timed_runs(items, other, max(1, args.repeat - 1))
            assert other_result is not None
            report["splitters"][name] = {
                "median_s": round(statistics.median(other_times), 3),
                "units": len(other_result.units),
                "same_units": share_same(units, other_result.units),
            }

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    os.replace(tmp, out)
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
