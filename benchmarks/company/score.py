"""Score silobridge on a generated company (``generate.py``) against its ``truth.json``.

Runs ``silobridge run --config OUT/silobridge.toml`` (or, with ``--no-run``, reads the store it
left in ``OUT/.silobridge``) and reports, as JSON (``OUT/score.json``) and a printed table:

* **voice recall**: share of customer texts (direct, relayed) with at least one customer-voice
  unit (``pipeline.voice.customer_voice``) matched to them;
* **voice noise**: share of customer-voice units whose text is chatter, small talk, staff, bot,
  greeting, signature, auto-reply or filler text;
* **theme macro-F1** per item against the gold theme (the data set's label), and a plain baseline
  in the same run: TF-IDF + logistic regression trained on the *train* half of the labelled data
  (never on the generated texts), predicting the same items' customer texts;
* each planted **blind spot**'s rank in its function's list (``tables/blind_spots.csv``) and the
  number of other significant "hears more" blind spots per function; and what the report shows:
  its rank among the function's findings (``tables/findings.csv``: found when the finding is its
  theme or the group holding it) and the other findings per function (``false findings``);
* whether the planted **spike** is flagged in its week (``tables/spikes.csv``);
* planted **personal data** found in any output (report files and unit texts).

Units are matched to truth passages by words: a unit belongs to the passage of its item that
holds the largest share of its words (at least half).

    .venv/bin/python benchmarks/company/score.py --out /tmp/co1 [--no-run]
    .venv/bin/python benchmarks/company/score.py --seeds 1 2 --items 1000 --work /tmp/company
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

CUSTOMER_KINDS = ("direct", "relayed")
NOISE_KINDS = (
    "greeting",
    "signature",
    "subject",
    "staff",
    "bot",
    "auto_reply",
    "filler",
    "small_talk",
    "logistics",
    "chatter",
)
WORD = re.compile(r"\w+")
PLACEHOLDER = re.compile(r"<[A-Z_]+>")
REACHED = 0.5  # share of a customer text's words its customer-voice units must cover
TEXTS = ("reviews", "tickets")


def words(text: str) -> set[str]:
    """Lower-cased word tokens of a text, redaction placeholders (``<PERSON>``) left out."""
    return set(WORD.findall(PLACEHOLDER.sub(" ", text).lower()))


def run_silobridge(out: Path) -> dict[str, Any]:
    """``silobridge run`` on the company's config; its exit code and seconds."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "silobridge.cli", "run", "--config", "silobridge.toml"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=out, env=env, capture_output=True, text=True, check=False)
    seconds = round(time.perf_counter() - start, 1)
    if proc.returncode not in (0, 3):
        raise RuntimeError(f"silobridge run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return {"exit_code": proc.returncode, "seconds": seconds}


def macro_f1(gold: list[str], pred: list[str], labels: list[str]) -> float:
    """Macro-F1 over ``labels`` (predictions outside them count as wrong)."""
    scores = []
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, pred, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, pred, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, pred, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return round(sum(scores) / len(scores), 3) if scores else 0.0


def baseline(texts_key: str, test: list[str]) -> list[str]:
    """TF-IDF + logistic regression trained on the train half of the labelled data set."""
    from _texts import load
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    train = {t: texts[:2000] for t, texts in load(texts_key)["train"].items()}  # at most 2000 each
    x = [t for theme in sorted(train) for t in train[theme]]
    y = [theme for theme in sorted(train) for _ in train[theme]]
    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
        LogisticRegression(max_iter=2000, class_weight="balanced"),
    )
    model.fit(x, y)
    return [str(p) for p in model.predict(test)] if test else []


def _assign(unit_words: set[str], passages: list[dict]) -> int | None:
    """Index of the passage holding the largest share (>= 0.5) of a unit's words."""
    if not unit_words:
        return None
    best, best_share = None, 0.5
    for k, p in enumerate(passages):
        share = len(unit_words & p["words"]) / len(unit_words)
        if share > best_share or (share == best_share and best is None and share >= 0.5):
            best, best_share = k, share
    return best


def score(out: Path, *, run: bool = True) -> dict[str, Any]:
    """Run (or read) silobridge on the company in ``out`` and score it against its truth."""
    import pandas as pd
    import silobridge
    from silobridge.pipeline.voice import customer_voice

    truth = json.loads((out / "truth.json").read_text("utf-8"))
    gen = truth["generator"]
    result: dict[str, Any] = {
        "company": str(out),
        "seed": gen["seed"],
        "texts": gen["texts"],
        "items": gen["items"],
        "taxonomy": gen["taxonomy"],
    }
    if run:
        result["run"] = run_silobridge(out)
    elif (out / "score.json").is_file():  # keep the timing of the run that made the store
        previous = json.loads((out / "score.json").read_text("utf-8"))
        if "run" in previous:
            result["run"] = previous["run"]
    store = silobridge.open_store(out / ".silobridge")
    items = store.items(columns=["item_id", "source_name", "native_id"])
    units = store.units(
        columns=["unit_id", "item_id", "source_name", "channel", "role", "text", "function",
                 "voice", "substance"]
    )  # fmt: skip
    units["counted"] = customer_voice(units).to_numpy()
    quarantine = store.quarantine()
    result["store"] = {
        "items": len(items),
        "units": len(units),
        "quarantined": len(quarantine),
        "quarantine_reasons": dict(Counter(quarantine["reason"].str[:80]))
        if len(quarantine)
        else {},
    }
    item_of = {(r.source_name, r.native_id): r.item_id for r in items.itertuples()}

    # --- match units to truth passages -----------------------------------------------------
    entries = truth["items"]
    missing = [e for e in entries if (e["source"], e["native_id"]) not in item_of]
    entry_of_item = {
        item_of[(e["source"], e["native_id"])]: e
        for e in entries
        if (e["source"], e["native_id"]) in item_of
    }
    passages: dict[str, list[dict]] = {
        iid: [{"kind": p["kind"], "words": words(p["text"])} for p in e["passages"]]
        for iid, e in entry_of_item.items()
    }
    covered: dict[tuple[str, int], set[str]] = defaultdict(set)  # voice words per passage
    voice_kinds: Counter[str] = Counter()
    stored_voice: dict[str, Counter[str]] = defaultdict(Counter)  # truth kind -> unit voice
    for u in units.itertuples():
        ps = passages.get(u.item_id)
        if ps is None:
            voice_kinds["(item not in truth)"] += bool(u.counted)
            continue
        unit_words = words(u.text)
        k = _assign(unit_words, ps)
        kind = ps[k]["kind"] if k is not None else "(unmatched)"
        voice = u.voice if isinstance(u.voice, str) else "(none)"
        stored_voice[kind][voice if u.counted else f"{voice}, not counted"] += 1
        if u.counted:
            voice_kinds[kind] += 1
            if k is not None and kind in CUSTOMER_KINDS:
                covered[(u.item_id, k)] |= unit_words & ps[k]["words"]
    recall: dict[str, list[int]] = {"direct": [0, 0], "relayed": [0, 0]}
    coverage: list[float] = []
    for iid, ps in passages.items():
        for k, p in enumerate(ps):
            if p["kind"] in recall:
                share = len(covered[(iid, k)]) / max(len(p["words"]), 1)
                coverage.append(share)
                recall[p["kind"]][1] += 1
                recall[p["kind"]][0] += share >= REACHED
    for e in missing:
        for p in e["passages"]:
            if p["kind"] in recall:
                recall[p["kind"]][1] += 1
    n_voice = sum(voice_kinds.values())
    noise = sum(voice_kinds[k] for k in NOISE_KINDS)
    result["voice"] = {
        "recall_direct": round(recall["direct"][0] / max(recall["direct"][1], 1), 3),
        "recall_relayed": round(recall["relayed"][0] / max(recall["relayed"][1], 1), 3),
        "recall_all": round(
            (recall["direct"][0] + recall["relayed"][0])
            / max(recall["direct"][1] + recall["relayed"][1], 1),
            3,
        ),
        "customer_texts": recall["direct"][1] + recall["relayed"][1],
        "mean_word_coverage": round(sum(coverage) / max(len(coverage), 1), 3),
        "voice_units": n_voice,
        "noise_share": round(noise / max(n_voice, 1), 3),
        "voice_units_by_kind": dict(voice_kinds.most_common()),
        "units_by_kind_and_voice": {
            k: dict(v.most_common()) for k, v in sorted(stored_voice.items())
        },
        "items_missing_from_store": len(missing),
    }

    # --- themes per item ---------------------------------------------------------------------
    labels = store.read("classified", columns=["unit_id", "themes"]).to_pandas()
    disc = store.read("discovered", columns=["unit_id", "theme_id"]).to_pandas()
    tax_of = dict(zip(labels["unit_id"], labels["themes"], strict=True))
    disc_of = dict(zip(disc["unit_id"], disc["theme_id"], strict=True))
    theme_ids = [t["id"] for t in truth["themes"]]
    voice_units = units[units["counted"]]
    pred: dict[str, str] = {}
    for iid, group in voice_units.groupby("item_id"):
        weight: Counter[str] = Counter()
        for uid in group["unit_id"]:
            for t in tax_of.get(uid) if tax_of.get(uid) is not None else []:
                weight[t["id"]] += float(t["probability"] or 0.0)
        if not weight:
            for uid in group["unit_id"]:
                if isinstance(disc_of.get(uid), str):
                    weight[disc_of[uid]] += 1.0
        if weight:
            pred[str(iid)] = sorted(weight.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    gold_items = [e for e in entries if e["theme"]]
    key = [item_of.get((e["source"], e["native_id"])) for e in gold_items]
    gold = [e["theme"] for e in gold_items]
    raw = [pred.get(k, "(none)") if k else "(none)" for k in key]
    # a predicted id (a discovered theme) maps to the gold theme most of its items have
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for g, p in zip(gold, raw, strict=True):
        votes[p][g] += 1
    mapping = {p: (p if p in theme_ids else c.most_common(1)[0][0]) for p, c in votes.items()}
    mapping["(none)"] = "(none)"
    mapped = [mapping[p] for p in raw]
    base = baseline(gen["texts"], [e["customer_text"] for e in gold_items])
    result["themes"] = {
        "macro_f1": macro_f1(gold, raw, theme_ids),
        "macro_f1_mapped": macro_f1(gold, mapped, theme_ids),
        "baseline_macro_f1": macro_f1(gold, base, theme_ids),
        "items_without_theme": sum(p == "(none)" for p in raw),
        "items": len(gold),
    }
    # planted theme -> the report's theme id holding most of its items
    holder: dict[str, str] = {}
    for t in theme_ids:
        c = Counter(p for g, p in zip(gold, raw, strict=True) if g == t and p != "(none)")
        holder[t] = t if (truth["generator"]["taxonomy"] or not c) else c.most_common(1)[0][0]

    # --- blind spots and spike from the report tables -----------------------------------------
    tables = out / ".silobridge" / "reports" / "latest" / "tables"
    blind = pd.read_csv(tables / "blind_spots.csv")
    blind = blind[blind["versus"].eq("others")]
    planted_pairs = {(holder[b["theme"]], b["function"]) for b in truth["blind_spots"]}
    spots = []
    for b in truth["blind_spots"]:
        rows = blind[blind["theme"].eq(holder[b["theme"]]) & blind["function"].eq(b["function"])]
        row = rows.iloc[0] if len(rows) else None
        sig = blind[
            blind["function"].eq(b["function"])
            & blind["significant"].astype(bool)
            & blind["direction"].eq("hears more")
        ].sort_values("rank")
        sig_rank = (
            list(sig["theme"]).index(holder[b["theme"]]) + 1
            if holder[b["theme"]] in list(sig["theme"])
            else None
        )
        spots.append(
            {
                "theme": b["theme"],
                "function": b["function"],
                "report_theme": holder[b["theme"]],
                "rank": int(row["rank"]) if row is not None else None,
                "significant": bool(row["significant"]) if row is not None else False,
                "rank_among_significant": sig_rank,
            }
        )
    false_spots: dict[str, int] = {}
    false_outside = 0  # of which discovered themes (not a gold theme)
    for f in truth["functions"]:
        sig = blind[
            blind["function"].eq(f)
            & blind["significant"].astype(bool)
            & blind["direction"].eq("hears more")
        ]
        false_spots[f] = int(sum((t, f) not in planted_pairs for t in sig["theme"]))
        false_outside += int(
            sum(t not in theme_ids and (t, f) not in planted_pairs for t in sig["theme"])
        )
    spikes = pd.read_csv(tables / "spikes.csv")
    sp = truth["spike"]
    hit = spikes[
        spikes["theme"].eq(holder[sp["theme"]]) & spikes["week"].astype(str).str[:10].eq(sp["week"])
    ]
    predicted_weekly = Counter(
        e["week"] for e, p in zip(gold_items, raw, strict=True) if p == holder[sp["theme"]]
    )
    result["blind_spots"] = {
        "planted": spots,
        "false_significant": false_spots,
        "false_significant_total": sum(false_spots.values()),
        "false_significant_discovered": false_outside,
        "findings": score_findings(tables, truth, holder),
    }
    result["spike"] = {
        "theme": sp["theme"],
        "week": sp["week"],
        "found": bool(len(hit)),
        "flagged_spikes": len(spikes),
        "other_spikes": int(len(spikes) - len(hit)),
        "gold_weekly": sp["weekly_counts"],
        "predicted_weekly": {w: predicted_weekly[w] for w in sp["weekly_counts"]},
    }

    # --- personal data in outputs --------------------------------------------------------------
    # first names alone are too common a word to scan for; full names, e-mails, phones are
    values = sorted({p["value"] for p in truth["personal_data"] if p["type"] != "first_name"})
    corpus = "\n".join(units["text"])
    report_dir = (out / ".silobridge" / "reports" / "latest").resolve()
    for path in sorted(report_dir.rglob("*")):
        if path.is_file() and path.suffix in (".html", ".md", ".csv", ".json", ".txt"):
            corpus += "\n" + path.read_text("utf-8", errors="replace")
    leaked = [v for v in values if v in corpus]
    type_of = {p["value"]: p["type"] for p in truth["personal_data"]}
    by_type = Counter(type_of[v] for v in leaked)
    result["personal_data"] = {
        "planted_values": len(values),
        "found_in_outputs": len(leaked),
        "found_by_type": dict(by_type),
        "examples": leaked[:5],
    }
    (out / "score.json").write_text(json.dumps(result, indent=1) + "\n", "utf-8")
    return result


def score_findings(tables: Path, truth: dict[str, Any], holder: dict[str, str]) -> dict[str, Any]:
    """The report's findings (``tables/findings.csv``: one per group of themes, at the level
    with the clearest signal): each planted blind spot's rank among its function's findings
    (found when the finding is its theme or the group holding its theme), and the other
    findings per function. Empty for a report without the table (an older silobridge)."""
    import pandas as pd

    if not (tables / "findings.csv").exists():
        return {}
    found = pd.read_csv(tables / "findings.csv")
    themes = pd.read_csv(tables / "themes.csv")
    group_of = dict(zip(themes["theme"], themes["group"], strict=True))
    planted, matched = [], set()
    for b in truth["blind_spots"]:
        theme = holder[b["theme"]]
        mine = found[found["function"].eq(b["function"])].sort_values("finding_rank")
        hits = mine[mine["theme"].eq(theme) | mine["theme"].eq(group_of.get(theme, theme))]
        rank = int(hits["finding_rank"].iloc[0]) if len(hits) else None
        if len(hits):
            matched.add((hits["theme"].iloc[0], b["function"]))
        planted.append({"theme": b["theme"], "function": b["function"], "finding_rank": rank})
    false = {
        f: int(sum((t, f) not in matched for t in found.loc[found["function"].eq(f), "theme"]))
        for f in truth["functions"]
    }
    return {
        "planted": planted,
        "false_per_function": false,
        "false_total": sum(false.values()),
        "false_max_per_function": max(false.values(), default=0),
        "findings": len(found),
    }


COLUMNS = (
    ("texts", lambda r: r["texts"]),
    ("seed", lambda r: r["seed"]),
    ("items", lambda r: r["store"]["items"]),
    ("recall direct", lambda r: r["voice"]["recall_direct"]),
    ("recall relayed", lambda r: r["voice"]["recall_relayed"]),
    ("voice noise", lambda r: r["voice"]["noise_share"]),
    # without a taxonomy, discovered themes mapped to the gold theme most of their items have
    ("theme F1", lambda r: r["themes"]["macro_f1" if r["taxonomy"] else "macro_f1_mapped"]),
    ("baseline F1", lambda r: r["themes"]["baseline_macro_f1"]),
    (
        "blind ranks",
        lambda r: "/".join(
            str(b["rank_among_significant"] or "-") for b in r["blind_spots"]["planted"]
        ),
    ),
    ("false blind", lambda r: r["blind_spots"]["false_significant_total"]),
    (
        "finding ranks",
        lambda r: (
            "/".join(
                str(b["finding_rank"] or "-")
                for b in r["blind_spots"].get("findings", {}).get("planted", [])
            )
            or "n/a"
        ),
    ),
    (
        "false findings (max/fn)",
        lambda r: (
            f"{r['blind_spots']['findings']['false_total']} "
            f"({r['blind_spots']['findings']['false_max_per_function']})"
            if r["blind_spots"].get("findings")
            else "n/a"
        ),
    ),
    ("spike", lambda r: "yes" if r["spike"]["found"] else "no"),
    (
        "PII found",
        lambda r: (
            f"{r['personal_data']['found_in_outputs']}/{r['personal_data']['planted_values']}"
        ),
    ),
)
NUMERIC = (
    "recall direct",
    "recall relayed",
    "voice noise",
    "theme F1",
    "baseline F1",
    "false blind",
)


def table(results: list[dict[str, Any]], *, mean: bool = False) -> str:
    """A Markdown table of results (one row each), with a mean row when asked."""
    head = [name for name, _ in COLUMNS]
    rows = [[str(get(r)) for _, get in COLUMNS] for r in results]
    if mean and len(results) > 1:
        row = ["mean", "", ""]
        for name, get in COLUMNS[3:]:
            vals = [get(r) for r in results]
            row.append(f"{sum(vals) / len(vals):.3f}" if name in NUMERIC else "")
        row[-2] = f"{sum(r['spike']['found'] for r in results)}/{len(results)}"
        rows.append(row)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def main(argv: list[str] | None = None) -> None:
    """Command line: score one company, or generate, run and score several."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="a generated company folder")
    parser.add_argument("--no-run", action="store_true", help="score the store as it is")
    parser.add_argument("--seeds", type=int, nargs="+", help="generate, run and score each")
    parser.add_argument("--texts", nargs="+", choices=TEXTS, default=list(TEXTS))
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--no-taxonomy", action="store_true")
    parser.add_argument("--work", type=Path, default=Path("/tmp/silobridge-company"))
    args = parser.parse_args(argv)
    if args.seeds:
        from generate import generate

        results = []
        for texts in args.texts:
            for seed in args.seeds:
                out = args.work / f"{texts}-s{seed}-n{args.items}"
                if args.no_run:
                    results.append(score(out, run=False))
                    print(table(results[-1:]), flush=True)
                    continue
                generate(
                    out, seed=seed, texts=texts, items=args.items, taxonomy=not args.no_taxonomy
                )
                store = out / ".silobridge"
                if store.exists():
                    import shutil

                    shutil.rmtree(store)
                results.append(score(out))
                print(table(results[-1:]), flush=True)
        summary = args.work / "scores.json"
        summary.write_text(json.dumps(results, indent=1) + "\n", "utf-8")
        print(table(results, mean=True))
        print(f"(details: {summary})")
        return
    if not args.out:
        parser.error("give --out or --seeds")
    result = score(args.out, run=not args.no_run)
    print(json.dumps(result, indent=1))
    print(table([result]))


if __name__ == "__main__":
    main()
