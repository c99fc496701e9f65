"""Quality on labelled data: ``silobridge eval classify`` and ``silobridge eval cluster``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ..errors import ConfigError
from ..extractors.labelled import read_descriptions, read_labelled, read_texts
from ._app import JsonOpt, _errors, eval_app, out

CacheOpt = Annotated[
    Path | None,
    typer.Option(
        "--cache", help="Embedding cache folder (default: ~/.cache/silobridge/embeddings)."
    ),
]


@eval_app.command("classify")
def eval_classify(
    data: Annotated[Path, typer.Option("--data", help="Test CSV: a text and a label column.")],
    text_col: Annotated[str, typer.Option("--text-col", help="The text column.")] = "text",
    label_col: Annotated[str, typer.Option("--label-col", help="The label column.")] = "label",
    train: Annotated[
        Path | None,
        typer.Option("--train", help="Training CSV (same columns): few-shot from its rows."),
    ] = None,
    shots: Annotated[
        int | None,
        typer.Option("--shots", help="Examples per label drawn from --train (default: all rows)."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for drawing the shots.")] = 0,
    labels: Annotated[
        Path | None,
        typer.Option(
            "--labels",
            help="Zero-shot: a JSON or YAML file mapping each label to a description.",
        ),
    ] = None,
    unlabelled: Annotated[
        Path | None,
        typer.Option(
            "--unlabelled",
            help="CSV whose --text-col texts (labels ignored) the classifier self-trains on, "
            "as the pipeline does on the units it labels.",
        ),
    ] = None,
    cache: CacheOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Accuracy, macro-F1, per-label F1 and calibration error of the theme classifier.

    Few-shot with --train (and --shots N --seed S), or zero-shot with --labels.
    """
    # deferred: keeps CLI start-up fast
    from ..pipeline.evaluate import evaluate_classify

    with _errors():
        if (train is None) == (labels is None):
            raise ConfigError("Pass --train TRAIN.csv (few-shot) or --labels FILE (zero-shot).")
        if shots is not None and (train is None or shots < 1):
            raise ConfigError("--shots N (N >= 1) goes with --train.")
        test = read_labelled(data, text_col=text_col, label_col=label_col)
        train_data = read_labelled(train, text_col=text_col, label_col=label_col) if train else None
        result = evaluate_classify(
            test,
            train=train_data,
            shots=shots,
            seed=seed,
            descriptions=read_descriptions(labels) if labels else None,
            unlabelled=read_texts(unlabelled, text_col=text_col) if unlabelled else None,
            cache=_cache(cache),
        )
        if as_json:
            print(json.dumps(result))
            return
        _print_eval_classify(result)


def _print_eval_classify(result: dict[str, Any]) -> None:
    out.print(
        f"{result['algorithm']}: {result['labels']} labels, {result['train_rows']} training "
        f"rows; {result['n']} test rows"
    )
    out.print(
        f"accuracy {result['accuracy']:.4f}  macro-F1 {result['macro_f1']:.4f}  "
        f"ECE {result['ece']:.4f}"
    )
    table = Table(title="Per label", title_justify="left")
    for col in ("label", "precision", "recall", "F1", "support"):
        table.add_column(col, justify="left" if col == "label" else "right")
    for label, row in result["per_label"].items():
        table.add_row(
            label,
            f"{row['precision']:.3f}",
            f"{row['recall']:.3f}",
            f"{row['f1']:.3f}",
            str(row["support"]),
        )
    out.print(table)
    out.print("Seconds: " + ", ".join(f"{k} {v}" for k, v in result["seconds"].items()))


@eval_app.command("cluster")
def eval_cluster(
    data: Annotated[Path, typer.Option("--data", help="CSV: a text and a label column.")],
    text_col: Annotated[str, typer.Option("--text-col", help="The text column.")] = "text",
    label_col: Annotated[str, typer.Option("--label-col", help="The label column.")] = "label",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the first run.")] = 0,
    runs: Annotated[
        int,
        typer.Option("--runs", help="Runs with seeds seed, seed+1...: run-to-run ARI."),
    ] = 3,
    min_size: Annotated[
        int, typer.Option("--min-size", help="Smallest theme, in texts (as \\[discover]).")
    ] = 5,
    cache: CacheOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """NMI, ARI, themes found, outlier share and run-to-run ARI of theme discovery.

    The labels are only used to score; the number of classes is not given to the clustering.
    """
    # deferred: keeps CLI start-up fast
    from ..pipeline.discover import DiscoverStage
    from ..pipeline.evaluate import evaluate_cluster

    with _errors():
        if runs < 1 or min_size < 2:
            raise ConfigError("--runs must be >= 1 and --min-size >= 2.")
        labelled = read_labelled(data, text_col=text_col, label_col=label_col)
        result = evaluate_cluster(
            labelled.texts,
            labelled.labels,
            seed=seed,
            runs=runs,
            stage=DiscoverStage(min_size=min_size, seed=seed),
            cache=_cache(cache),
        )
        if as_json:
            print(json.dumps(result))
            return
        _print_eval_cluster(result)


def _print_eval_cluster(result: dict[str, Any]) -> None:
    out.print(
        f"{result['algorithm']}: {result['n']} texts, {result['n_classes']} classes; "
        f"{result['n_themes']} themes found, {100 * result['outlier_share']:.1f}% unassigned"
    )
    out.print(
        f"NMI {result['nmi']:.4f}  ARI {result['ari']:.4f}  AMI {result['ami']:.4f}  "
        f"run-to-run ARI {result['run_to_run_ari']}  ({result['runs']} runs)"
    )
    out.print(
        f"Seconds: clustering and labelling {result['seconds']}, "
        f"embedding {result['embed_seconds']}"
    )
    table = Table(title="Largest themes", title_justify="left")
    for col in ("id", "label", "texts", "top terms"):
        table.add_column(col, justify="right" if col == "texts" else "left")
    for theme in result["themes"][:15]:
        table.add_row(theme["id"], theme["label"], str(theme["size"]), ", ".join(theme["terms"]))
    out.print(table)


def _cache(folder: Path | None) -> Any:
    """The embedding cache at ``--cache``, else in the user's cache folder."""
    # deferred: keeps CLI start-up fast
    from ..pipeline.embed import EmbeddingCache
    from ..pipeline.evaluate import default_cache_dir

    return EmbeddingCache(folder or default_cache_dir())
