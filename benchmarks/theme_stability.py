"""Do theme and group ids hold when 5% more data arrives? On every labelled clustering set.

For each set of ``label_quality.py`` (the single-label sets of ``../shared/eval``, each a
seeded sample of at most ``--cap`` texts), themes are discovered on a random 95% of the texts
(the pipeline's own :class:`~silobridge.pipeline.discover.DiscoverStage`, with the embedder,
as ``job.discover_stage`` builds it), then the other 5% arrive:

* **nightly**: the default run, adding the new texts to the registry's themes;
* **rebuild**: ``--rebuild``, clustering everything again and matching to the registry.

For the first 95% it reports the share of texts keeping their theme id (the lower level) and
their group id (the upper level: :func:`~silobridge.classifiers.cluster.group_themes`, ids
matched by shared units), the numbers of themes and groups, and whether the same data and seed
give the same ids (two first runs compared). Results go to ``--out`` (default
benchmarks/out/theme_stability.json); a Markdown table is printed.

    .venv/bin/python benchmarks/theme_stability.py [--eval ../shared/eval] [--cap 3000]
        [--sets a b ...]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from label_quality import SETS, load_set, unit_vectors  # noqa: E402


def _theme_and_group(result: Any) -> tuple[pd.Series, pd.Series]:
    """Each unit's theme id and group id."""
    theme = result.assignments.set_index("unit_id")["theme_id"]
    group_of = dict(zip(result.themes["theme_id"], result.themes["group_id"], strict=True))
    return theme, theme.map(group_of)


def stability(texts: list[str], X: np.ndarray, embedder: Any, seed: int) -> dict[str, Any]:
    """Ids of the first 95% after a nightly run and after a rebuild with the other 5%."""
    from silobridge.pipeline.discover import DiscoverStage
    from silobridge.pipeline.evaluate import _eval_units
    from silobridge.pipeline.store.schema import DISCOVERED, THEME_GROUPS, THEMES

    units = _eval_units(texts)
    order = np.random.default_rng(seed).permutation(len(texts))
    old = np.sort(order[: int(0.95 * len(texts))])
    stage = DiscoverStage(embedder=embedder)
    empty = {
        "registry": THEMES.empty_table().to_pandas(),
        "previous": DISCOVERED.empty_table().to_pandas(),
        "groups": THEME_GROUPS.empty_table().to_pandas(),
    }
    model_id = embedder.model_id
    first = stage.run(
        units.iloc[old].reset_index(drop=True), X[old], run_id="r1", model_id=model_id, **empty
    )
    again = stage.run(
        units.iloc[old].reset_index(drop=True), X[old], run_id="r1", model_id=model_id, **empty
    )
    theme0, group0 = _theme_and_group(first)
    out: dict[str, Any] = {
        "texts": len(texts),
        "themes": int((first.themes["status"] == "active").sum()),
        "groups": int((first.groups["status"] == "active").sum()),
        "same_seed_same_ids": bool(
            theme0.equals(_theme_and_group(again)[0])
            and group0.equals(_theme_and_group(again)[1])
            and first.groups["label"].tolist() == again.groups["label"].tolist()
        ),
    }
    for mode in ("nightly", "rebuild"):
        t0 = time.perf_counter()
        second = stage.run(
            units,
            X,
            registry=first.themes,
            previous=first.assignments,
            groups=first.groups,
            rebuild=mode == "rebuild",
            run_id="r2",
            model_id=model_id,
        )
        theme1, group1 = _theme_and_group(second)
        theme1, group1 = theme1.reindex(theme0.index), group1.reindex(group0.index)
        out[mode] = {
            "theme_ids_kept": round(float((theme1 == theme0).mean()), 4),
            "group_ids_kept": round(float((group1 == group0).mean()), 4),
            "groups": int((second.groups["status"] == "active").sum()),
            "seconds": round(time.perf_counter() - t0, 2),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=HERE.parent.parent / "shared" / "eval")
    parser.add_argument("--cap", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sets", nargs="+", choices=list(SETS), default=list(SETS))
    parser.add_argument("--out", type=Path, default=HERE / "out" / "theme_stability.json")
    args = parser.parse_args()
    if not (args.eval / "INDEX.md").exists():
        sys.exit(f"{args.eval}: no labelled sets there (../shared/eval)")
    from silobridge.pipeline.embed import Embedder, EmbeddingCache
    from silobridge.pipeline.evaluate import default_cache_dir

    embedder, cache = Embedder(), EmbeddingCache(default_cache_dir())
    results = {}
    seen: dict[tuple[str, ...], dict[str, Any]] = {}
    for name in args.sets:
        data = load_set(name, args.eval, cap=args.cap, seed=args.seed)
        key = tuple(data.texts)
        if key not in seen:  # cfpb by product and by issue: the same texts
            X = unit_vectors(data.texts, embedder, cache)
            seen[key] = stability(data.texts, X, embedder, args.seed)
        results[name] = seen[key]
    print("| set | texts | themes | groups | nightly: theme ids kept | groups kept | "
          "rebuild: theme ids kept | groups kept | same seed, same ids |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for name, r in results.items():
        n, b = r["nightly"], r["rebuild"]
        print(f"| {name} | {r['texts']} | {r['themes']} | {r['groups']} | "
              f"{n['theme_ids_kept']:.3f} | {n['group_ids_kept']:.3f} | "
              f"{b['theme_ids_kept']:.3f} | {b['group_ids_kept']:.3f} | "
              f"{r['same_seed_same_ids']} |")  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
