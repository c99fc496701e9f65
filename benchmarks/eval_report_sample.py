"""The report on the bundled sample against what the sample planted, plus timing and size.

Reads the store ``make demo`` writes (``.silobridge-demo``; the report is built into a temporary
folder, the store is not changed) and checks, against ``data/sample/ground_truth.json``:

* each planted blind spot's rank among its function's findings (one per group of themes, at
  the level with the clearer signal; goal: top 3 of the at most five the summary shows). A
  planted theme the taxonomy leaves out is matched to the discovered theme holding most of its
  items; the finding counts when it is that theme or its group;
* findings per function and groups of themes;
* the planted spike: is its theme flagged in its week (all functions together)?
* flat themes flagged as spikes (every all-functions spike of another theme, in another week).

It also renders the HTML in headless Chromium (Debian's ``chromium``, through Playwright) and
saves a screenshot to benchmarks/out/report.png; with ``--store`` pointing at a larger store
(``benchmarks/out/understand-store`` after ``silobridge classify`` and ``discover``), it gives
the generation time and HTML size at that scale. Results go to benchmarks/out/report.json.

    .venv/bin/python benchmarks/eval_report_sample.py [--store .silobridge-demo]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))


def planted_ranks(report, store) -> dict:
    """Rank of each planted blind spot among its function's findings (one per group of themes,
    at the level with the clearer signal, ranked by effect): found when the finding is its
    theme or the group holding it. Also its rank among the significant rows of its own level
    (``rank_in_level``), as the report ranked them before findings."""
    from eval_classify_sample import planted_themes

    truth = json.loads((ROOT / "data/sample/ground_truth.json").read_text())
    planted = planted_themes(store)
    found = store.read("discovered").to_pandas()
    spots = report.tables["blind_spots"]
    themes = report.tables["themes"]
    names = dict(zip(themes["theme"], themes["name"], strict=True))
    group_of = dict(zip(themes["theme"], themes["group"], strict=True))
    findings = report.tables["findings"]
    out = {}
    for spot in truth["blind_spots"]:
        theme, function = spot["theme"], spot["function"]
        key = theme
        if theme not in names:  # left out of the taxonomy: the discovered theme holding it
            items = {i for i, ts in planted.items() if theme in ts}
            holders = Counter(
                t
                for t, i in zip(found["theme_id"], found["item_id"], strict=True)
                if i in items and t
            )
            key = holders.most_common(1)[0][0] if holders else None
        mine = findings[findings["function"] == function]
        hit = mine[(mine["theme"] == key) | (mine["theme"] == group_of.get(key))]
        level = spots[(spots["function"] == function) & spots["significant"] & (spots["z"] > 0)]
        level = level[(level["theme"] == key) & (level["level"] == "theme")]
        rank = int(hit["finding_rank"].min()) if len(hit) else None
        out[f"{theme}|{function}"] = {
            "report_theme": key,
            "label": names.get(key),
            "finding": hit["theme"].iloc[0] if len(hit) else None,
            "rank": rank,
            "rank_in_level": int(level["rank"].iloc[0]) if len(level) else None,
            "in_top_5": rank is not None and rank <= 5,
        }
    return out


def findings_summary(report) -> dict:
    """How many findings each function has, how many the summary shows, and the groups."""
    findings = report.tables["findings"]
    groups = report.tables["groups"]
    per = findings.groupby("function").size().to_dict()
    return {
        "findings_per_function": per,
        "shown_per_function": {f: min(n, 5) for f, n in per.items()},
        "significant_tests": int(report.summary["blind_spots"]),
        "groups_discovered": int((groups["kind"] == "discovered").sum()),
        "groups_all": len(groups),
    }


def spike_check(report) -> dict:
    import pandas as pd

    truth = json.loads((ROOT / "data/sample/ground_truth.json").read_text())["spikes"][0]
    week = pd.Timestamp(truth["release_date"]).to_period("W-SUN").start_time
    spikes = report.tables["spikes"]
    everyone = spikes[spikes["function"] == "All"]
    planted = everyone[(everyone["theme"] == truth["theme"]) & (everyone["week"] == week)]
    others = everyone[(everyone["theme"] != truth["theme"]) & (everyone["week"] != week)]
    same_week = everyone[(everyone["theme"] != truth["theme"]) & (everyone["week"] == week)]
    return {
        "planted": f"{truth['theme']} week of {week.date()}",
        "flagged": bool(len(planted)),
        "flat_themes_flagged": sorted(set(others["theme"])),
        "other_themes_flagged_in_the_spike_week": sorted(set(same_week["theme"])),
    }


def screenshot(html: Path, png: Path) -> dict:
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium"), args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(html.resolve().as_uri())
        visible = {
            "heatmap": page.locator("#heatmap table").is_visible(),
            "blind_spot_cards": page.locator(".blind-spot-card").count(),
        }
        page.screenshot(path=str(png))
        browser.close()
    return {"console_errors": errors, **visible}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=ROOT / ".silobridge-demo")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "report.json")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()

    import silobridge
    from silobridge.pipeline.report import run_report
    from silobridge.taxonomy import load_taxonomy

    store = silobridge.open_store(args.store)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        report = run_report(
            store, taxonomy=load_taxonomy(ROOT / "data/taxonomy.yaml"), out=Path(tmp)
        )
        seconds = time.perf_counter() - t0
        html = report.path / "report.html"
        result = {
            "store": str(args.store),
            "items": report.summary["items"],
            "units": report.summary["units"],
            "seconds": round(seconds, 2),
            "timings": {k: round(v, 2) for k, v in report.timings.items()},
            "html_bytes": html.stat().st_size,
            "files": sum(1 for p in report.path.rglob("*") if p.is_file()),
        }
        if (ROOT / ".silobridge-demo").resolve() == args.store.resolve():
            result["blind_spots"] = planted_ranks(report, store)
            result["findings"] = findings_summary(report)
            result["spike"] = spike_check(report)
        if not args.no_browser:
            args.out.parent.mkdir(exist_ok=True)
            result["browser"] = screenshot(html, args.out.with_suffix(".png"))
    print(json.dumps(result, indent=1, default=str))
    args.out.write_text(json.dumps(result, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
