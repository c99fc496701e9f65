"""SIGKILL `silobridge run` at random moments; the next run must end where a clean run ends.

On the bundled sample: one clean `silobridge run` into a fresh store gives the reference. Then,
until ``--kills`` runs were killed mid-run, a fresh store gets the clean store's embedding
cache (so each case does not spend half a minute re-embedding; the cache is append-only and
never rolled back, as after a killed run that had embedded everything), `silobridge run` starts
and is killed after a random delay between 0.5 s and the duration of such a run
uninterrupted, and `silobridge run` runs again to the end.
The store must then hold exactly the clean run's items, quarantine, units, labels and
discovered themes (ids and labels), and the report's blind spots, ignoring run ids and
timestamps. Results go to benchmarks/out/crash_run.json.

    .venv/bin/python benchmarks/crash_run.py [--kills 20] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SILOBRIDGE = str(Path(sys.executable).with_name("silobridge"))


def snapshot(store_path: Path) -> dict[str, pd.DataFrame]:
    import silobridge
    from silobridge.pipeline.report import build_report

    store = silobridge.open_store(store_path)

    def table(name: str, drop: list[str], key: list[str]) -> pd.DataFrame:
        frame = store.read(name).to_pandas().drop(columns=drop, errors="ignore")
        if "themes" in frame.columns:  # probabilities are compared below, with a tolerance
            frame["themes"] = frame["themes"].map(lambda ts: [t["id"] for t in ts])
        for col in frame.columns:  # lists and structs: compare their JSON
            if frame[col].dtype == object:
                frame[col] = frame[col].map(lambda v: json.dumps(v, default=str, sort_keys=True))
        return frame.sort_values(key).reset_index(drop=True)

    volatile = ["run_id", "ingested_at", "processed_at", "first_run_id", "last_run_id"]
    themes = store.read("themes").to_pandas()
    report = build_report(store)
    return {
        "items": table("items", volatile, ["source_name", "native_id"]),
        "quarantine": table(
            "quarantine", [*volatile, "first_seen_at", "last_seen_at"], ["quarantine_id"]
        ),
        "units": table("units", volatile, ["unit_id"]),
        "classified": table("classified", volatile, ["unit_id"]),
        # a nightly run after a completed one keeps assignments ("kept", not "cluster"), and
        # the similarity to the recomputed centroid moves with float noise: ids are what count
        "discovered": table(
            "discovered", [*volatile, "assigned_by", "similarity", "algorithm"], ["unit_id"]
        ),
        "themes": themes[["theme_id", "label", "size", "status"]]
        .sort_values("theme_id")
        .reset_index(drop=True),
        "blind_spots": report.tables["blind_spots"][
            ["theme", "function", "items", "items_versus", "significant"]
        ]
        .sort_values(["theme", "function"])
        .reset_index(drop=True),
    }


def same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> list[str]:
    differ = []
    for name in a:
        try:
            # probabilities are rounded to 4 decimals and the prototypes are embedded anew in
            # each process: the last digit may move with thread scheduling (float noise)
            pd.testing.assert_frame_equal(
                a[name], b[name], check_dtype=False, check_exact=False, atol=2e-3, rtol=0
            )
        except AssertionError:
            differ.append(name)
    return differ


def run(config: Path, store: Path, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(
        [SILOBRIDGE, "run", "-c", str(config), "-s", str(store)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        **kwargs,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=HERE / "out" / "crash_run.json")
    args = parser.parse_args()
    from silobridge.pipeline.store import Store

    config = ROOT / "data" / "sample" / "silobridge.sample.toml"
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        clean = Path(tmp) / "clean"
        t0 = time.perf_counter()
        code = run(config, clean).wait()
        clean_s = time.perf_counter() - t0
        assert code == 3, f"the clean run exited {code}"  # the sample has bad records
        reference = snapshot(clean)

        def fresh(name: str) -> Path:
            store = Path(tmp) / name
            Store.open(store, create=True)  # a new, empty store with the clean run's cache
            shutil.rmtree(store / "embeddings", ignore_errors=True)
            shutil.copytree(clean / "embeddings", store / "embeddings")
            return store

        t0 = time.perf_counter()
        run(config, fresh("warm")).wait()
        warm_s = time.perf_counter() - t0  # a case's uninterrupted run: the kills fall in it
        cases: list[dict] = []
        k = 0
        while sum(c["killed"] for c in cases) < args.kills and k < 3 * args.kills:
            store = fresh(f"case{k}")
            k += 1
            delay = rng.uniform(0.5, warm_s)
            proc = run(config, store)
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            killed_code = proc.wait()
            t0 = time.perf_counter()
            code = run(config, store).wait()
            resumed = time.perf_counter() - t0
            differ = same(reference, snapshot(store))
            jobs = sorted((store / "jobs").glob("*.json"))
            case = {
                "delay_s": round(delay, 1),
                "killed": killed_code == -signal.SIGKILL,
                "next_run_exit": code,
                "next_run_s": round(resumed, 1),
                "job_manifests": len(jobs),
                "differs": differ,
            }
            cases.append(case)
            print(json.dumps(case), flush=True)
    result = {
        "clean_run_s": round(clean_s, 1),
        "warm_run_s": round(warm_s, 1),
        "kills": len(cases),
        "killed_mid_run": sum(c["killed"] for c in cases),
        "equal_to_clean": sum(not c["differs"] for c in cases),
        "cases": cases,
    }
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "cases"}))


if __name__ == "__main__":
    main()
