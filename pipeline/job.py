"""The main job: ingest, understand, classify, discover and report, as one job.

:func:`run_job` is what ``silobridge run`` (and ``silobridge demo``) execute, and what a
scheduler or a notebook can call. Each stage is a run of its own (its own commit and manifest,
so a killed job keeps the stages it finished and the next job carries on from there); the job
holds the store for its whole length (:meth:`Store.job`), so nothing else writes between its
stages, and records a **job manifest** in ``STORE/jobs/<job id>.json``: the outcome, each
stage's run id, counts and seconds, the versions of the models and algorithms, and the config
hash. Only new and changed items go through the expensive stages; discovered themes keep
their ids (a nightly discover run).

:func:`plan_job` says what a run would do without doing it (``silobridge run --dry-run``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..config import DEFAULT_EMBED_MODEL, Config
from ..errors import ConfigError
from .engine import Execution, ray_session, resolve
from .store import MARKER, Store, new_run_id, write_json_atomic

log = logging.getLogger(__name__)

STAGES = ("ingest", "understand", "classify", "discover", "report")
#: Outcomes of a job (its manifest's ``outcome``; the CLI's exit codes follow them).
OK, QUARANTINED, FAILED = "ok", "ok_with_quarantine", "failed"


@dataclass
class JobResult:
    """What :func:`run_job` returns: each stage's result object and the job manifest."""

    job_id: str
    store: Path
    results: dict[str, Any] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def quarantined(self) -> int:
        ingest = self.results.get("ingest")
        return ingest.totals.quarantined if ingest is not None else 0


def embedder(cfg: Config | None, model: str | None = None) -> Any:
    """The ``[embed]`` model of the config (or ``model``), as every stage loads it."""
    from .embed import Embedder

    return Embedder(
        model=model or (cfg.embed_model if cfg else DEFAULT_EMBED_MODEL),
        batch_size=cfg.embed_batch_size if cfg else 64,
    )


def understand_stage(
    cfg: Config | None,
    *,
    taxonomy: Path | None = None,
    model: str | None = None,
    shared: Any = None,
) -> Any:
    from .understand import UnderstandStage

    return UnderstandStage(
        taxonomy=taxonomy or (cfg.taxonomy if cfg else None),
        embedder=shared or embedder(cfg, model),
    )


def classify_stage(
    cfg: Config | None, store: Path, *, taxonomy: Path | None = None, shared: Any = None
) -> Any:
    from ..classifiers.labels import theme_labels
    from .classify import ClassifyStage

    path = taxonomy or (cfg.taxonomy if cfg else None)
    if path is None:
        raise ConfigError(
            "classify needs a taxonomy: set [understand] taxonomy in the config or pass "
            "--taxonomy FILE (data/taxonomy.yaml is a B2B SaaS default)."
        )
    return ClassifyStage(
        taxonomy=path,
        theme_examples=theme_labels(store),
        embedder=shared or embedder(cfg),
        configured_functions={n: s.function for n, s in cfg.sources.items()} if cfg else {},
    )


def discover_stage(cfg: Config | None) -> Any:
    from ..classifiers.taxonomy import load_taxonomy
    from .cluster import DiscoverStage

    company = load_taxonomy(cfg.taxonomy).company if cfg and cfg.taxonomy else ()
    return DiscoverStage(**(cfg.discover if cfg else {}), stop_words=company)


def algorithms(results: dict[str, Any]) -> dict[str, str]:
    """The version of every algorithm and model the job's stages used."""
    from ..classifiers import cluster
    from . import entities, redact, segment, understand

    out = {
        "segment": segment.ALGORITHM,
        "redact": redact.ALGORITHM,
        "entities": entities.ALGORITHM,
        "understand": understand.ALGORITHM,
        "cluster": cluster.ALGORITHM,
    }
    labels = getattr(results.get("classify"), "labels", None)
    if labels is not None and len(labels):
        for kind in ("theme", "insight", "sentiment", "function"):
            values = sorted(set(labels[f"{kind}_algorithm"]))
            out[kind] = ", ".join(values)
    return out


def run_job(
    cfg: Config,
    store: Path | None = None,
    *,
    full: bool = False,
    strict: bool = False,
    rebuild: bool = False,
    report_out: Path | None = None,
    progress: Callable[[str, int], None] | None = None,
    understand_progress: Callable[[str, int, int], None] | None = None,
    on_stage: Callable[[str, Any], None] | None = None,
    engine: str | None = None,
) -> JobResult:
    """Run every stage in order on the sources of ``cfg`` (see the module's docstring).

    Args:
        cfg: The loaded configuration.
        store: The store (default: the config's).
        full: Re-read every export and re-process every item.
        strict: Stop at the first bad record instead of quarantining it.
        rebuild: Cluster every unit again in the discover stage.
        report_out: Where reports go (default ``STORE/reports``).
        progress: Called with (source, records read) while ingesting.
        understand_progress: Called with ("items", done, total) while understanding.
        on_stage: Called with (stage name, its result) after each stage.
        engine: ``local`` or ``ray`` instead of the config's ``[execution] engine``. With
            ``ray``, one Ray session (started here, or the cluster at ``[execution] address``)
            serves the understand and classify stages.

    Raises:
        StoreLockedError: if another job or run holds the store.
        SilobridgeError: a stage failed (the job manifest says which, outcome ``failed``).
    """
    from .cluster import update_themes
    from .ingest import ingest
    from .understand import update_units

    store_path = Path(store or cfg.store_path).expanduser().resolve()
    started = datetime.now(UTC)
    job_id = new_run_id(started)
    job = JobResult(job_id=job_id, store=store_path)
    seconds: dict[str, float] = {}
    common: dict[str, Any] = {
        "retention_days": cfg.retention_days,
        "config_hash": cfg.config_hash(),
    }
    model = embedder(cfg)
    execution = resolve(cfg.execution, engine)  # fails before the job when Ray is missing

    def stage(name: str, fn: Callable[[], Any]) -> Any:
        t0 = time.perf_counter()
        log.info("job %s: %s started", job_id, name)
        result = fn()
        seconds[name] = round(time.perf_counter() - t0, 3)
        job.results[name] = result
        log.info("job %s: %s finished in %.1f s", job_id, name, seconds[name])
        if on_stage is not None:
            on_stage(name, result)
        return result

    holder = Store(store_path)
    error: BaseException | None = None
    with holder.job(job_id):
        try:
            stage(
                "ingest",
                lambda: ingest(
                    list(cfg.sources.values()),
                    store_path,
                    on_bad_record="raise" if strict else "quarantine",
                    full=full,
                    progress=progress,
                    **common,
                ),
            )
            with ExitStack() as session:
                if execution.is_ray:  # one Ray session for the row-wise stages
                    session.enter_context(ray_session(execution))
                stage(
                    "understand",
                    lambda: update_units(
                        store_path,
                        stage=understand_stage(cfg, shared=model),
                        full=full,
                        progress=understand_progress,
                        execution=execution,
                        **common,
                    ),
                )
                if cfg.taxonomy is not None:
                    from .classify import update_labels

                    stage(
                        "classify",
                        lambda: update_labels(
                            store_path,
                            stage=classify_stage(cfg, store_path, shared=model),
                            execution=execution,
                            **common,
                        ),
                    )
            stage(
                "discover",
                lambda: update_themes(
                    store_path, stage=discover_stage(cfg), rebuild=rebuild, **common
                ),
            )
            stage("report", lambda: report(cfg, store_path, out=report_out))
        except BaseException as e:  # any failure (a Ray worker's, an interrupt) is recorded
            error = e
        finally:
            job.manifest = _manifest(job, cfg, started, seconds, error, model, execution)
            if (store_path / MARKER).exists():
                path = store_path / "jobs" / f"{job_id}.json"
                path.parent.mkdir(exist_ok=True)
                write_json_atomic(path, job.manifest)
    if error is not None:
        raise error
    return job


def report(
    cfg: Config | None,
    store: Path,
    *,
    accounts: Path | None = None,
    min_arr: float | None = None,
    out: Path | None = None,
) -> Any:
    """The report stage with the config's taxonomy (names of the themes)."""
    from ..classifiers.taxonomy import load_taxonomy
    from .report import ReportSettings, make_report

    taxonomy = load_taxonomy(cfg.taxonomy) if cfg and cfg.taxonomy else None
    return make_report(
        store,
        taxonomy=taxonomy,
        accounts=accounts,
        settings=ReportSettings(min_arr=min_arr),
        out=out,
    )


def _manifest(
    job: JobResult,
    cfg: Config,
    started: datetime,
    seconds: dict[str, float],
    error: BaseException | None,
    model: Any,
    execution: Execution,
) -> dict[str, Any]:
    stages: dict[str, Any] = {}
    for name, result in job.results.items():
        entry: dict[str, Any] = {"seconds": seconds.get(name)}
        if name == "ingest":
            entry.update(run_id=result.run_id, counts=result.to_dict())
        elif name == "understand":
            data = result.to_dict()
            entry.update(run_id=result.run_id, counts={
                k: data[k] for k in ("items_total", "items_processed", "items_unchanged",
                                     "units_written", "units_removed", "units_total")
                if k in data
            })  # fmt: skip
        elif name == "report":
            entry.update(path=str(result.path), counts=result.summary)
        else:
            entry.update(run_id=result.run_id, counts=result.stats)
        stages[name] = entry
    outcome = FAILED if error else QUARANTINED if job.quarantined else OK
    return {
        "job_id": job.job_id,
        "kind": "job",
        "outcome": outcome,
        "error": f"{type(error).__name__}: {error}" if error else None,
        "failed_stage": next((s for s in STAGES if s not in job.results), None) if error else None,
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "seconds": round(sum(seconds.values()), 3),
        "silobridge_version": __version__,
        "config": str(cfg.path) if cfg.path else None,
        "config_hash": cfg.config_hash(),
        "engine": execution.engine,
        "versions": {"embedding_model": model.model_id, **algorithms(job.results)},
        "stage_order": list(job.results),
        "stages": stages,
    }


def jobs(store: Store | str | Path) -> list[dict[str, Any]]:
    """Every job manifest of the store, oldest first."""
    import json

    root = store.root if isinstance(store, Store) else Path(store)
    paths = sorted((root / "jobs").glob("*.json")) if (root / "jobs").exists() else []
    return [json.loads(p.read_text()) for p in paths]


def plan_job(cfg: Config, store: Path | None = None) -> dict[str, Any]:
    """What ``silobridge run`` would process now, without writing anything.

    Returns:
        ``{"sources": {name: {"files": n, "new_or_changed": [paths]}}, "items_to_understand":
        n}`` (items stored but not yet understood with the current algorithms; the items that
        ingest adds come on top).
    """
    from ..extractors.registry import get_connector, iter_input_files
    from .ingest import _files_state, _fingerprint

    store_path = Path(store or cfg.store_path)
    opened = Store.open(store_path) if (store_path / MARKER).exists() else None
    state = _files_state(opened) if opened else {}
    sources: dict[str, dict[str, Any]] = {}
    for source in cfg.sources.values():
        if not source.enabled:
            continue
        spec = get_connector(source.connector)
        units = (
            list(iter_input_files(spec, source.path)) if spec.layout == "files" else [source.path]
        )
        changed = []
        for unit in units:
            display = source.display_path(unit)
            previous = state.get((source.name, display))
            fingerprint = _fingerprint(unit, spec)
            if (
                previous is None
                or previous["config_hash"] != source.config_hash()
                or previous["sha256"] != fingerprint["sha256"]
            ):
                changed.append(display)
        sources[source.name] = {"files": len(units), "new_or_changed": changed}
    pending = 0
    if opened is not None:
        version = understand_stage(cfg, shared=object()).version
        items = opened.items(columns=["item_id", "record_hash"])
        done = opened.read("understood", columns=["item_id", "item_hash", "version"]).to_pandas()
        rows = zip(done["item_id"], done["item_hash"], done["version"], strict=True)
        current = {(i, h) for i, h, v in rows if v == version}
        pending = sum(
            (i, h) not in current
            for i, h in zip(items["item_id"], items["record_hash"], strict=True)
        )
    return {
        "store": str(store_path.resolve()),
        "store_exists": opened is not None,
        "sources": sources,
        "files_to_read": sum(len(list(s["new_or_changed"])) for s in sources.values()),
        "items_to_understand": int(pending),
    }
