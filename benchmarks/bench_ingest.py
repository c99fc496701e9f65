"""Ingest throughput, peak memory, and the cost of a re-run, on generated exports.

Writes N items (default 100,000) in every supported format with the sample generator, then, in
this one process:

1. baseline: parse every export file with the standard library alone (json / csv), the floor any
   reader pays;
2. first ingest into an empty store (items/s, seconds, peak RSS);
3. unchanged re-run (the nightly case when nothing arrived): export files are hashed, not read;
4. full re-read (``--full``): everything parsed and compared again, nothing written.

Results are printed and written to benchmarks/out/ingest.json; benchmarks/README.md quotes them.

    .venv/bin/python benchmarks/bench_ingest.py [--items 100000] [--seed 7]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def baseline_parse(folder: Path) -> tuple[float, int]:
    """Parse every export file with json/csv only; returns (seconds, files)."""
    t0 = time.perf_counter()
    n = 0
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        text = data.decode("utf-8", errors="replace")
        if path.suffix == ".json":
            with contextlib.suppress(ValueError):
                json.loads(text)
        elif path.suffix == ".jsonl":
            for line in text.splitlines():
                with contextlib.suppress(ValueError):
                    json.loads(line)
        elif path.suffix == ".csv":
            for _ in csv.reader(text.splitlines()):
                pass
        n += 1
    return time.perf_counter() - t0, n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()

    data = args.out / f"exports-{args.items}-{args.seed}"
    if not (data / "ground_truth.json").exists():
        shutil.rmtree(data, ignore_errors=True)
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, str(ROOT / "data" / "sample" / "generate.py"), "--out", str(data),
             "--items", str(args.items), "--seed", str(args.seed)],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        print(f"generated {args.items} items in {time.perf_counter() - t0:.1f}s -> {data}")
    # the same sources as the bundled sample, with paths relative to the data folder
    config_text = (ROOT / "data" / "sample" / "silobridge.sample.toml").read_text()
    taxonomy = (ROOT / "data" / "taxonomy.yaml").as_posix()
    for old in ('taxonomy = "../taxonomy.yaml"', 'path = "../taxonomy.yaml"'):  # both layouts
        config_text = config_text.replace(old, old.replace("../taxonomy.yaml", taxonomy))
    (data / "silobridge.sample.toml").write_text(config_text)

    from silobridge.config import load_config
    from silobridge.pipeline.ingest import run_ingest

    config = load_config(data / "silobridge.sample.toml")
    sources = list(config.sources.values())
    store = args.out / "store"
    shutil.rmtree(store, ignore_errors=True)
    size_mb = sum(p.stat().st_size for p in data.rglob("*") if p.is_file()) / 2**20

    rss_start = peak_rss_mb()
    base_s, files = baseline_parse(data)
    rss_base = peak_rss_mb()

    t0 = time.perf_counter()
    first = run_ingest(store, sources)
    first_s = time.perf_counter() - t0
    rss_first = peak_rss_mb()

    t0 = time.perf_counter()
    unchanged = run_ingest(store, sources)
    unchanged_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    full = run_ingest(store, sources, full=True)
    full_s = time.perf_counter() - t0

    totals = first.totals
    stored = totals.new
    results = {
        "items_requested": args.items,
        "export_files": files,
        "export_mb": round(size_mb, 1),
        "records_read": totals.read,
        "stored": stored,
        "quarantined": totals.quarantined,
        "baseline_parse_s": round(base_s, 2),
        "first_ingest_s": round(first_s, 2),
        "items_per_s": round(stored / first_s),
        "first_vs_baseline": round(first_s / base_s, 1),
        "unchanged_rerun_s": round(unchanged_s, 3),
        "unchanged_rerun_ratio": round(unchanged_s / first_s, 4),
        "unchanged_rerun_added": unchanged.totals.new + unchanged.totals.updated,
        "full_reread_s": round(full_s, 2),
        "full_reread_ratio": round(full_s / first_s, 3),
        "full_reread_added": full.totals.new + full.totals.updated,
        "peak_rss_mb_at_start": round(rss_start),
        "peak_rss_mb_baseline": round(rss_base),
        "peak_rss_mb_ingest": round(rss_first),
        "timings_first_run": first.sources and {n: c.seconds for n, c in first.sources.items()},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ingest.json").write_text(json.dumps(results, indent=2) + "\n")
    width = max(len(k) for k in results)
    for key, value in results.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
