"""The row-wise stages on the local engine and on Ray: wall time, peak memory, scaling, equality.

Generated exports (``data/sample/generate.py``) are ingested once into a base store; then each
configuration runs the understand and classify stages (the ones the ``ray`` engine distributes;
discovery and the report run on the driver either way) on a fresh copy of that store, in a
fresh process, with an empty embedding cache:

* ``local``: the local engine (one process, torch on every core);
* ``ray-N``: the ray engine with a Ray started for the run and N workers of one CPU each.

For each: wall seconds (process start to exit, Ray's start and the models' loading included),
the stages' own seconds, and peak memory: the driver's peak RSS, and the whole process tree's
peak (driver, Ray's daemons and its workers; sampled every 0.5 s). The overhead ratio is
ray-N wall / local wall, measured on this machine in the same benchmark run; the scaling is
ray-1 wall / ray-2 wall. Every configuration's units and labels are compared row for row with
the local engine's (sorted by unit id).

    .venv/bin/python benchmarks/bench_engine.py [--items 100000] [--scaling-items 21000]

Results are printed and written to benchmarks/out/engine.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_understand import generate  # noqa: E402


def child(store: Path, engine: str, workers: int | None) -> None:
    """One configuration, in this (fresh) process; prints a JSON line."""
    t_start = time.perf_counter()
    from silobridge.config import load_config
    from silobridge.pipeline.classify import run_classify
    from silobridge.pipeline.engine import Execution, ray_session
    from silobridge.pipeline.job import classify_stage, embedder, understand_stage
    from silobridge.pipeline.understand import run_understand

    cfg = load_config(store.parent / "config.toml")
    execution = Execution(engine=engine, workers=workers)
    model = embedder(cfg)
    out: dict[str, float] = {}
    with ray_session(execution) if execution.is_ray else _nothing():
        t0 = time.perf_counter()
        understood = run_understand(
            store, stage=understand_stage(cfg, shared=model), execution=execution
        )
        out["understand_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        run_classify(store, stage=classify_stage(cfg, store, shared=model), execution=execution)
        out["classify_s"] = time.perf_counter() - t0
    out["stages_s"] = time.perf_counter() - t_start
    out["units"] = understood.units_total
    out["driver_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({k: round(v, 1) if isinstance(v, float) else v for k, v in out.items()}))


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def run_config(base: Path, work: Path, engine: str, workers: int | None) -> dict[str, object]:
    import psutil

    name = engine if workers is None else f"{engine}-{workers}"
    store = work / name / "store"
    shutil.rmtree(store.parent, ignore_errors=True)
    store.parent.mkdir(parents=True)
    shutil.copytree(base, store, symlinks=True)
    shutil.copy(base.parent / "config.toml", store.parent / "config.toml")
    argv = [sys.executable, __file__, "--child", str(store), "--engine", engine]
    if workers is not None:
        argv += ["--workers", str(workers)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    peak = [0.0]

    def sample() -> None:
        # the child's tree, and Ray's daemons and workers (they are not its children)
        while proc.poll() is None:
            total = 0
            try:
                procs = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(True)]
                procs += [p for p in psutil.process_iter(["name", "cmdline"]) if _is_ray(p)]
                seen = set()
                for p in procs:
                    if p.pid in seen:
                        continue
                    seen.add(p.pid)
                    with contextlib.suppress(psutil.Error):
                        total += p.memory_info().rss
            except psutil.Error:
                pass
            peak[0] = max(peak[0], total / 2**20)
            time.sleep(0.5)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    stdout, _ = proc.communicate()
    wall = time.perf_counter() - t0
    thread.join()
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed with exit code {proc.returncode}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result.update(config=name, wall_s=round(wall, 1), tree_peak_rss_mb=round(peak[0]))
    print(json.dumps(result), flush=True)
    return result


def _is_ray(p: object) -> bool:
    try:
        cmd = " ".join(p.info.get("cmdline") or [])  # type: ignore[attr-defined]
    except Exception:
        return False
    return "ray::" in cmd or ("/ray/" in cmd and ("raylet" in cmd or "gcs_server" in cmd))


def same_output(a: Path, b: Path) -> dict[str, bool]:
    from silobridge.pipeline.store import Store

    out = {}
    sa, sb = Store.open(a), Store.open(b)
    for table, key in (("units", "unit_id"), ("classified", "unit_id")):
        x = sa.read(table).to_pandas().drop(columns=["run_id"]).sort_values(key)
        y = sb.read(table).to_pandas().drop(columns=["run_id"]).sort_values(key)
        x, y = x.astype(str).reset_index(drop=True), y.astype(str).reset_index(drop=True)
        out[table] = x.equals(y)
    return out


def base_store(out: Path, items: int, seed: int) -> Path:
    from silobridge.config import load_config
    from silobridge.pipeline.ingest import run_ingest

    data = generate(out, items, seed)
    base = out / f"engine-base-{items}-{seed}" / "store"
    if not (base / "runs").exists():
        shutil.rmtree(base.parent, ignore_errors=True)
        base.parent.mkdir(parents=True)
        cfg = load_config(data / "silobridge.sample.toml")
        t0 = time.perf_counter()
        run_ingest(base, list(cfg.sources.values()))
        print(f"ingested {items} items in {time.perf_counter() - t0:.1f}s", flush=True)
    config = f'[understand]\ntaxonomy = "{(HERE.parent / "data" / "taxonomy.yaml").as_posix()}"\n'
    (base.parent / "config.toml").write_text(config)
    return base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--scaling-items", type=int, default=21_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--engine", default="local", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.child:
        child(args.child, args.engine, args.workers)
        return

    result: dict[str, object] = {"machine": f"{platform.machine()}, {os.cpu_count()} cores"}
    work = args.out / "engine-runs"
    for label, items, configs in (
        ("scaling", args.scaling_items, [("ray", 1), ("ray", 2)]),
        ("main", args.items, [("local", None), ("ray", 2)]),
    ):
        base = base_store(args.out, items, args.seed)
        runs = [run_config(base, work / f"{items}", e, w) for e, w in configs]
        section: dict[str, object] = {"items": items, "runs": runs}
        stores = [work / f"{items}" / str(r["config"]) / "store" for r in runs]
        section["equal_to_first"] = {
            str(r["config"]): same_output(stores[0], s)
            for r, s in zip(runs[1:], stores[1:], strict=True)
        }
        if label == "main":
            section["overhead_ratio"] = round(runs[1]["wall_s"] / runs[0]["wall_s"], 3)
        else:
            section["speedup_2_vs_1"] = round(runs[0]["wall_s"] / runs[1]["wall_s"], 3)
        result[label] = section
        print(json.dumps(section, indent=1), flush=True)
    (args.out / "engine.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
