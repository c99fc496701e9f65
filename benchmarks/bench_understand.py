"""The understand stage end to end: throughput against bare ``model.encode``, re-run cost, memory.

Generated exports (``data/sample/generate.py``, ``--items`` items, about 4.7 units each) are
ingested into a fresh store; then, in this one process, after both models are loaded and warm:

1. **stage, first run**: :func:`run_understand` on every item: segmentation, one spaCy parse per
   distinct unit text for redaction and entities, embedding of each distinct redacted text
   through the (empty) cache, the commit. Seconds per step, units/s, peak RSS.
2. **bare encode**: ``SentenceTransformer.encode`` (same batch size, normalised) on the same
   unit texts, every unit, as a pipeline without this stage would embed them. The headline
   ratio is stage seconds / bare encode seconds (goal: <= 1.10). Because the stage encodes each
   distinct text once, this ratio depends on how much the data repeats itself, so the bare
   encode of the *distinct* texts is measured too, and the non-embedding work (segment, analyze,
   write) is also given as a share of it: the cost per text the stage adds on data that never
   repeats.
3. **re-run, 1% new**: a second generated export of about 1% of the units (another seed, as
   extra sources) is ingested, and :func:`run_understand` runs again: seconds as a share of the
   first run (goal: <= 5%).
4. **unchanged re-run**: nothing new: seconds.

Segmentation + redaction + entities throughput (units/s) is reported on its own. Results are
printed and written to benchmarks/out/understand.json.

    .venv/bin/python benchmarks/bench_understand.py [--items 23400] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(out: Path, items: int, seed: int) -> Path:
    """Generated exports with a config whose paths work from their folder."""
    data = out / f"exports-{items}-{seed}"
    if not (data / "ground_truth.json").exists():
        shutil.rmtree(data, ignore_errors=True)
        subprocess.run(
            [sys.executable, str(ROOT / "data" / "sample" / "generate.py"), "--out", str(data),
             "--items", str(items), "--seed", str(seed)],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    config = (ROOT / "data" / "sample" / "silobridge.sample.toml").read_text()
    taxonomy = (ROOT / "data" / "taxonomy.yaml").as_posix()
    for old in ('taxonomy = "../taxonomy.yaml"', 'path = "../taxonomy.yaml"'):  # both layouts
        config = config.replace(old, old.replace("../taxonomy.yaml", taxonomy))
    (data / "silobridge.sample.toml").write_text(config)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=23_400, help="about 100,000 units")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from silobridge.config import load_config
    from silobridge.pipeline.embed import Embedder
    from silobridge.pipeline.ingest import run_ingest
    from silobridge.pipeline.nlp import load_pipeline
    from silobridge.pipeline.store import Store
    from silobridge.pipeline.understand import UnderstandStage, run_understand
    from silobridge.pipeline.understand.segment import default_segmenter

    data = generate(args.out, args.items, args.seed)
    extra = generate(args.out, max(args.items // 100, 20), args.seed + 1)
    config = load_config(data / "silobridge.sample.toml")
    store = args.out / "understand-store"
    shutil.rmtree(store, ignore_errors=True)
    t0 = time.perf_counter()
    run_ingest(store, list(config.sources.values()))
    print(f"ingested {args.items} generated items in {time.perf_counter() - t0:.1f}s")

    rss_start = peak_rss_mb()
    embedder = Embedder()
    embedder.encode(["warm up"])
    default_segmenter()
    load_pipeline()
    rss_models = peak_rss_mb()

    def stage() -> UnderstandStage:
        return UnderstandStage(taxonomy=config.taxonomy, embedder=embedder)

    t0 = time.perf_counter()
    first = run_understand(store, stage=stage())
    first_s = time.perf_counter() - t0
    rss_first = peak_rss_mb()
    print(f"stage, first run: {first_s:.1f}s for {first.units_total} units; {first.timings}")

    units = Store.open(store).units(columns=["text"])
    texts = units["text"].tolist()
    distinct = list(dict.fromkeys(texts))
    model = embedder.load()
    t0 = time.perf_counter()
    model.encode(texts, batch_size=embedder.batch_size, normalize_embeddings=True)
    bare_all_s = time.perf_counter() - t0
    print(f"bare encode of {len(texts)} unit texts: {bare_all_s:.1f}s")
    t0 = time.perf_counter()
    model.encode(distinct, batch_size=embedder.batch_size, normalize_embeddings=True)
    bare_distinct_s = time.perf_counter() - t0
    print(f"bare encode of {len(distinct)} distinct texts: {bare_distinct_s:.1f}s")

    # 1% new: a second generated export as extra sources
    extra_config = load_config(extra / "silobridge.sample.toml")
    extra_sources = [replace(s, name=f"{s.name}_new") for s in extra_config.sources.values()]
    run_ingest(store, extra_sources)
    t0 = time.perf_counter()
    rerun = run_understand(store, stage=stage())
    rerun_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    unchanged = run_understand(store, stage=stage())
    unchanged_s = time.perf_counter() - t0

    steps = first.timings
    non_embed = steps["segment"] + steps["analyze"] + steps.get("write", 0.0)
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "items": first.items_total,
        "units": first.units_total,
        "distinct_texts": len(distinct),
        "first_run_s": round(first_s, 1),
        "first_run_steps_s": steps,
        "first_run_stats": first.stats,
        "units_per_s_stage": round(first.units_total / first_s, 1),
        "units_per_s_segment_redact_entities": round(
            first.units_total / (steps["segment"] + steps["analyze"]), 1
        ),
        "distinct_texts_per_s_analyze": round(len(distinct) / steps["analyze"], 1),
        "bare_encode_all_s": round(bare_all_s, 1),
        "bare_encode_distinct_s": round(bare_distinct_s, 1),
        "ratio_stage_to_bare_encode": round(first_s / bare_all_s, 3),
        "non_embedding_share_of_distinct_encode": round(non_embed / bare_distinct_s, 3),
        "rerun_new_units": rerun.units_written,
        "rerun_new_share": round(rerun.units_written / first.units_total, 4),
        "rerun_s": round(rerun_s, 2),
        "ratio_rerun_to_first": round(rerun_s / first_s, 4),
        "unchanged_rerun_s": round(unchanged_s, 2),
        "unchanged_processed": unchanged.items_processed,
        "peak_rss_mb": {
            "start": round(rss_start),
            "models_loaded": round(rss_models),
            "after_first_run": round(rss_first),
        },
    }
    print(json.dumps(result, indent=2))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "understand.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
