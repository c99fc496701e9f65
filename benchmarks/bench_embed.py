"""Embedding throughput: bare ``model.encode`` against ``embed_texts`` cold, warm and 1% new.

Texts are unit-like: the items of a store (default: the bundled sample in ``.silobridge-demo``;
``silobridge demo`` creates it) split naively into sentences, sentences of one word dropped, then
``--n`` distinct ones drawn with a fixed seed. If the store has fewer distinct sentences than
``--n + 1%``, the rest are sentences with a numbered suffix (reported as ``synthesized``).

In this one process, after a warm-up batch:

1. **bare**: ``SentenceTransformer.encode`` (same batch size, normalised) on the texts;
2. **cold**: ``embed`` into an empty cache (hash, cache lookup, encode, one Delta append);
   bare and cold alternate ``--repeat`` times (bare, cold, cold, bare...), and the medians count,
   since other work on a shared machine moves single timings by 2x;
3. **warm**: ``embed`` of the same texts again, with a fresh ``Embedder`` (its model is never
   loaded when every vector is cached);
4. **1% new**: the texts with 1% replaced by unseen ones;
5. with ``--duplicates``: ``--n`` sentences drawn with their natural repetition (greetings,
   sign-offs, templates), bare encode against ``embed`` into a fresh cache.

Times are also given as ratios to the bare encode of the same texts. Results are printed and
written to benchmarks/out/embed.json.

    .venv/bin/python benchmarks/bench_embed.py [--n 2000] [--repeat 2] [--duplicates]
        [--store .silobridge-demo]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
STEPS = ("cache_read", "encode", "cache_write", "total")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sentences(store: Path) -> list[str]:
    """Every sentence of every item, in item order, duplicates kept."""
    import silobridge

    texts = silobridge.open_store(store).items()["text"]
    found = (s.strip() for text in texts for s in _SENTENCE_END.split(text or ""))
    return [s for s in found if len(s.split()) >= 2]


def draw(pool: list[str], n: int, n_new: int, seed: int) -> tuple[list[str], list[str], int]:
    """``n`` distinct texts and ``n_new`` others, and how many had to be synthesized."""
    distinct = list(dict.fromkeys(pool))
    random.Random(seed).shuffle(distinct)
    synthesized = max(0, n + n_new - len(distinct))
    distinct += [f"{distinct[i % len(distinct)]} (case {i})" for i in range(synthesized)]
    return distinct[:n], distinct[n : n + n_new], synthesized


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="distinct texts (default 2000)")
    parser.add_argument("--repeat", type=int, default=2, help="bare/cold pairs (default 2)")
    parser.add_argument("--store", type=Path, default=ROOT / ".silobridge-demo")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--duplicates", action="store_true", help="also time natural repetition")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from silobridge.pipeline.embed import Embedder, EmbeddingCache, EmbeddingResult, embed

    rss_start = peak_rss_mb()
    pool = sentences(args.store)
    n_new = max(1, round(args.n / 100))
    texts, unseen, synthesized = draw(pool, args.n, n_new, args.seed)
    rerun = list(texts)
    for i, position in enumerate(random.Random(args.seed + 1).sample(range(args.n), n_new)):
        rerun[position] = unseen[i]
    mean_chars = sum(map(len, texts)) / len(texts)

    embedder = Embedder(batch_size=args.batch_size)
    _, load_s = timed(embedder.encode, pool[:64])  # import, load, warm-up
    model = embedder.load()
    rss_loaded = peak_rss_mb()

    def bare(batch: list[str]):
        return model.encode(
            batch,
            batch_size=args.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    tmp = Path(tempfile.mkdtemp(prefix="bench-embed-"))
    try:
        # bare and cold alternate (bare, cold, cold, bare, ...), each cold run into an empty
        # cache, so drift of a shared machine hits both alike; the ratios use the medians
        bare_runs: list[float] = []
        cold_runs: list[tuple[EmbeddingResult, float]] = []
        for i in range(args.repeat):
            cache = EmbeddingCache(tmp / f"embeddings-{i}")
            steps = ("bare", "cold") if i % 2 == 0 else ("cold", "bare")
            for step in steps:
                if step == "bare":
                    bare_runs.append(timed(bare, texts)[1])
                else:
                    cold_runs.append(timed(embed, texts, embedder=embedder, cache=cache))
        rss_cold = peak_rss_mb()
        bare_s = statistics.median(bare_runs)
        cold_s = statistics.median(s for _, s in cold_runs)
        # counts are the same in every cold run; step timings are medians over the runs
        non_encode = statistics.median(
            1 - r.timings["encode"] / r.timings["total"] for r, _ in cold_runs
        )
        cold = dataclasses.replace(
            cold_runs[0][0],
            timings={k: statistics.median(r.timings[k] for r, _ in cold_runs) for k in STEPS},
        )
        fresh = Embedder(batch_size=args.batch_size)
        warm, warm_s = timed(embed, texts, embedder=fresh, cache=cache)
        new, new_s = timed(embed, rerun, embedder=embedder, cache=cache)
        cache_bytes = sum(p.stat().st_size for p in cache.path.rglob("*.parquet"))
        rows = len(cache)

        def run(result, seconds: float) -> dict[str, object]:
            return {
                "seconds": round(seconds, 3),
                "texts_per_s": round(result.n_texts / seconds, 1),
                "time_vs_bare": round(seconds / bare_s, 4),
                "encoded": result.encoded,
                "cache_hits": result.cache_hits,
                "written": result.written,
                "steps_s": {k: round(v, 3) for k, v in result.timings.items()},
            }

        results: dict[str, object] = {
            "n_texts": len(texts),
            "source": str(args.store),
            "distinct_sentences_in_source": len(set(pool)),
            "synthesized": synthesized,
            "mean_chars": round(mean_chars, 1),
            "batch_size": args.batch_size,
            "model_id": embedder.model_id,
            "model_import_load_warmup_s": round(load_s, 2),
            "bare": {
                "seconds": round(bare_s, 3),
                "texts_per_s": round(len(texts) / bare_s, 1),
                "runs_s": [round(t, 3) for t in bare_runs],
            },
            "cold": {**run(cold, cold_s), "runs_s": [round(t, 3) for _, t in cold_runs]},
            "cold_overhead_vs_bare": round((cold_s - bare_s) / bare_s, 4),
            # robust to a noisy machine: the share of the cold run spent outside model.encode
            "cold_non_encode_share": round(non_encode, 4),
            "warm": {**run(warm, warm_s), "model_loaded": fresh.is_loaded},
            "new_1pct": {**run(new, new_s), "time_vs_cold": round(new_s / cold_s, 4)},
            "cache_rows": rows,
            "cache_bytes_per_row": round(cache_bytes / rows, 1),
            "peak_rss_mb": {
                "start": round(rss_start),
                "model_loaded": round(rss_loaded),
                "after_bare_and_cold": round(rss_cold),
                "end": round(peak_rss_mb()),
            },
        }
        if args.duplicates:
            natural = random.Random(args.seed + 2).sample(pool, min(args.n, len(pool)))
            _, dup_bare_s = timed(bare, natural)
            dup_cache = EmbeddingCache(tmp / "embeddings-dup")
            dup, dup_s = timed(embed, natural, embedder=embedder, cache=dup_cache)
            results["natural_duplicates"] = {
                "n_texts": len(natural),
                "distinct": dup.n_unique,
                "bare": {"seconds": round(dup_bare_s, 3)},
                "cold": {
                    "seconds": round(dup_s, 3),
                    "time_vs_bare": round(dup_s / dup_bare_s, 4),
                    "encoded": dup.encoded,
                },
            }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "embed.json").write_text(json.dumps(results, indent=2) + "\n")
    json.dump(results, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
