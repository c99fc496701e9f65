"""The whole main job (`silobridge run`) on the bundled sample: time, memory, stages, nightly.

1. **full run**: `silobridge run` on the sample into a fresh store, in a fresh process: wall
   time, the job's own seconds and each stage's share (from the job manifest), peak RSS.
2. **nightly run, 1% new**: about 1% new items (sentences of the sample's units recombined into
   new records, in a JSONL export added as one more source) and `silobridge run` again: wall
   time and job seconds as a share of the full run's (goal <= 5%).
3. **unchanged re-run**: nothing new: the same.

Results go to benchmarks/out/run.json.

    .venv/bin/python benchmarks/bench_run.py
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SILOBRIDGE = str(Path(sys.executable).with_name("silobridge"))


def run(config: Path) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    done = subprocess.run(
        [SILOBRIDGE, "run", "-c", str(config), "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    wall = time.perf_counter() - t0
    if done.returncode not in (0, 3):
        raise SystemExit(done.stderr[-3000:])
    job = json.loads(done.stdout)["job"]
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    total = job["seconds"]
    return {
        "wall_s": round(wall, 1),
        "job_s": round(total, 1),
        "stages_s": {k: v["seconds"] for k, v in job["stages"].items()},
        "stage_share": {k: round(v["seconds"] / total, 3) for k, v in job["stages"].items()},
        "peak_rss_mb_max_so_far": round(max(peak, before) / 1024),
        "outcome": job["outcome"],
        "understand": job["stages"]["understand"]["counts"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--share", type=float, default=0.01)
    parser.add_argument("--out", type=Path, default=HERE / "out" / "run.json")
    args = parser.parse_args()
    import silobridge
    from silobridge.config import load_config

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copytree(ROOT / "data" / "sample", work / "sample")
        shutil.copy(ROOT / "data" / "taxonomy.yaml", work / "taxonomy.yaml")
        config = work / "sample" / "silobridge.sample.toml"
        full = run(config)
        store = silobridge.open_store(load_config(config).store_path)
        items = store.items(columns=["item_id"])
        units = store.units(columns=["text", "function"])
        n_new = max(1, round(args.share * len(items)))
        rng = random.Random(0)
        sentences = units["text"].tolist()
        functions = ["Support", "Sales", "Success", "Product", "Marketing"]
        lines = [
            json.dumps(
                {
                    "id": f"nightly-{i}",
                    "body": " ".join(rng.sample(sentences, 3)),
                    "team": rng.choice(functions),
                    "at": "2026-10-29T10:00:00Z",
                }
            )
            for i in range(n_new)
        ]
        (work / "sample" / "nightly.jsonl").write_text("\n".join(lines) + "\n")
        config.write_text(
            config.read_text()
            + '\n[sources.nightly]\nconnector = "jsonl"\npath = "nightly.jsonl"\n'
            'channel = "note"\nmapping = { native_id = "id", text = "body", '
            'created_at = "at", function = "team" }\n'
        )
        nightly = run(config)
        unchanged = run(config)
    result = {
        "machine": f"{os.cpu_count()} cores",
        "items": len(items),
        "new_items": n_new,
        "full": full,
        "nightly_1pct": nightly,
        "unchanged": unchanged,
        "nightly_share_of_full_wall": round(nightly["wall_s"] / full["wall_s"], 3),
        "nightly_share_of_full_job": round(nightly["job_s"] / full["job_s"], 3),
        "unchanged_share_of_full_job": round(unchanged["job_s"] / full["job_s"], 3),
    }
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
