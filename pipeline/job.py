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

import json
import logging
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .._version import __version__
from ..classifiers import cluster
from ..config import DEFAULT_EMBED_MODEL, Config, Execution, resolve_store
from ..errors import ConfigError, StoreError
from ..taxonomy import Taxonomy, load_taxonomy
from .classify import ClassifyStage, run_classify
from .discover import DiscoverStage, run_discover
from .embed import Embedder
from .engine import ray_session, resolve
from .ingest import plan_ingest, run_ingest
from .report import Report, ReportSettings, run_report
from .store import MARKER, Store, new_run_id, write_json_atomic
from .store.labels import theme_labels
from .store.store import describe_os_error
from .understand import UnderstandStage, analyze, entities, redact, run_understand, segment

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


def embedder(cfg: Config | None, model: str | None = None) -> Embedder:
    """The ``[embed]`` model of the config (or ``model``), as every stage loads it."""
    return Embedder(
        model=model or (cfg.embed_model if cfg else DEFAULT_EMBED_MODEL),
        batch_size=cfg.embed_batch_size if cfg else 64,
    )


TaxonomyArg = Path | Taxonomy | None


def understand_stage(
    cfg: Config | None,
    *,
    taxonomy: TaxonomyArg = None,
    model: str | None = None,
    shared: Any = None,
) -> UnderstandStage:
    """The understand stage of the config (``taxonomy``: a file or an already loaded one)."""
    stage = UnderstandStage(
        taxonomy=taxonomy or (cfg.taxonomy if cfg else None),
        embedder=shared or embedder(cfg, model),
    )
    if cfg is not None:  # only the sources whose voice is set: the stage's version holds them
        stage.source_voices = {
            name: source.voice for name, source in cfg.sources.items() if source.voice != "auto"
        }
    return stage


def classify_stage(
    cfg: Config | None, store: Path, *, taxonomy: TaxonomyArg = None, shared: Any = None
) -> ClassifyStage:
    """The classify stage of the config, with the store's imported labels."""
    path = taxonomy or (cfg.taxonomy if cfg else None)
    if path is None:
        raise ConfigError(
            "classify needs a taxonomy: set [taxonomy] path in the config or pass "
            "--taxonomy FILE (data/taxonomy.yaml is a B2B SaaS default)."
        )
    return ClassifyStage(
        taxonomy=path,
        theme_examples=theme_labels(store),
        embedder=shared or embedder(cfg),
        configured_functions={n: s.function for n, s in cfg.sources.items()} if cfg else {},
    )


def discover_stage(cfg: Config | None, *, taxonomy: Taxonomy | None = None) -> DiscoverStage:
    """The discover stage of the config (the company's names are never label words)."""
    if taxonomy is None and cfg is not None and cfg.taxonomy is not None:
        taxonomy = load_taxonomy(cfg.taxonomy)
    company = taxonomy.company if taxonomy is not None else ()
    voice = _voice(cfg)
    return DiscoverStage(
        **(cfg.discover if cfg else {}), stop_words=company, embedder=embedder(cfg), **voice
    )


def _voice(cfg: Config | None) -> dict[str, Any]:
    """``voices`` and ``min_substance`` of the config's ``[voice]`` (docs/voice.md)."""
    settings = cfg.voice if cfg else {}
    out: dict[str, Any] = {"min_substance": settings.get("min_substance")}
    if settings.get("count"):
        out["voices"] = tuple(settings["count"])
    return out


def algorithms(results: dict[str, Any]) -> dict[str, str]:
    """The version of every algorithm and model the job's stages used."""
    out = {
        "segment": segment.ALGORITHM,
        "redact": redact.ALGORITHM,
        "entities": entities.ALGORITHM,
        "understand": analyze.ALGORITHM,
        "cluster": cluster.ALGORITHM,
    }
    labels = getattr(results.get("classify"), "labels", None)
    if labels is not None and len(labels):
        for kind in ("theme", "insight", "sentiment", "function"):
            values = sorted(set(labels[f"{kind}_algorithm"]))
            out[kind] = ", ".join(values)
    return out


@dataclass
class JobOptions:
    """The options of :func:`run_job`, as its stages take them."""

    full: bool = False
    strict: bool = False
    rebuild: bool = False
    report_out: Path | None = None
    progress: Callable[[str, int], None] | None = None
    understand_progress: Callable[[str, int, int], None] | None = None


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
        StoreError: if the store is a file or cannot be written (read-only, no space left), or
            the job manifest could not be written after every stage finished.
        SilobridgeError: a stage failed (the job manifest says which, outcome ``failed``).
        OSError: a stage failed on a file outside the store; the job manifest is written all
            the same (a failure to write it is logged, and the stage's error raised).
    """
    options = JobOptions(full, strict, rebuild, report_out, progress, understand_progress)
    store_path = resolve_store(cfg, store)
    started = datetime.now(UTC)
    job = JobResult(job_id=new_run_id(started), store=store_path)
    model = embedder(cfg)
    execution = resolve(cfg.execution, engine)  # fails before the job when Ray is missing
    runner = _Stages(job, on_stage)
    error: BaseException | None = None
    written: StoreError | None = None
    with Store(store_path).job(job.job_id):
        try:
            _run_stages(cfg, store_path, options, runner, model, execution)
        except BaseException as e:  # any failure (a Ray worker's, an interrupt) is recorded
            error = e
        finally:
            written = _write_manifest(job, cfg, started, runner.seconds, error, model, execution)
    if error is not None:
        raise error
    if written is not None:  # the job did its work, but its record is missing: say so
        raise written
    return job


def _write_manifest(
    job: JobResult,
    cfg: Config,
    started: datetime,
    seconds: dict[str, float],
    error: BaseException | None,
    model: Any,
    execution: Execution,
) -> StoreError | None:
    """Write the job manifest (also when a stage failed); the error of a manifest that could not
    be written, logged (its path and reason, no content) and returned, never raised: the
    stage's own error, if any, is the one the caller sees."""
    path = job.store / "jobs" / f"{job.job_id}.json"
    try:
        job.manifest = _manifest(job, cfg, started, seconds, error, model, execution)
        if not (job.store / MARKER).exists():
            return None  # the job failed before the store existed: nowhere to write it
        path.parent.mkdir(exist_ok=True)
        write_json_atomic(path, job.manifest)
        return None
    except Exception as e:  # the job's own error (or result) must come out, not this one
        reason = describe_os_error(e, job.store) or f"{type(e).__name__} (a bug; please report it)"
        log.error("job %s: its manifest %s was not written: %s", job.job_id, path, reason)
        failure = StoreError(f"The job manifest {path} was not written: {reason}")
        failure.__cause__ = e
        return failure


class _Stages:
    """Runs a job's stages one by one, timing each and keeping its result."""

    def __init__(self, job: JobResult, on_stage: Callable[[str, Any], None] | None):
        self.job = job
        self.on_stage = on_stage
        self.seconds: dict[str, float] = {}

    def __call__(self, name: str, fn: Callable[[], Any]) -> Any:
        t0 = time.perf_counter()
        log.info("job %s: %s started", self.job.job_id, name)
        result = fn()
        self.seconds[name] = round(time.perf_counter() - t0, 3)
        self.job.results[name] = result
        log.info("job %s: %s finished in %.1f s", self.job.job_id, name, self.seconds[name])
        if self.on_stage is not None:
            self.on_stage(name, result)
        return result


def _run_stages(
    cfg: Config,
    store_path: Path,
    options: JobOptions,
    stage: _Stages,
    model: Embedder,
    execution: Execution,
) -> None:
    common: dict[str, Any] = {
        "retention_days": cfg.retention_days,
        "config_hash": cfg.config_hash(),
    }
    taxonomy = _Once(lambda: load_taxonomy(cfg.taxonomy) if cfg.taxonomy else None)
    stage(
        "ingest",
        lambda: run_ingest(
            store_path,
            list(cfg.sources.values()),
            on_bad_record="raise" if options.strict else "quarantine",
            full=options.full,
            progress=options.progress,
            limits=cfg.limits,
            **common,
        ),
    )
    with ExitStack() as session:
        if execution.is_ray:  # one Ray session for the row-wise stages
            session.enter_context(ray_session(execution))
        stage(
            "understand",
            lambda: run_understand(
                store_path,
                stage=understand_stage(cfg, taxonomy=taxonomy(), shared=model),
                full=options.full,
                progress=options.understand_progress,
                execution=execution,
                **common,
            ),
        )
        if cfg.taxonomy is not None:
            stage(
                "classify",
                lambda: run_classify(
                    store_path,
                    stage=classify_stage(cfg, store_path, taxonomy=taxonomy(), shared=model),
                    execution=execution,
                    **common,
                ),
            )
    stage(
        "discover",
        lambda: run_discover(
            store_path,
            stage=discover_stage(cfg, taxonomy=taxonomy()),
            rebuild=options.rebuild,
            **common,
        ),
    )
    stage("report", lambda: report(cfg, store_path, out=options.report_out, taxonomy=taxonomy()))


class _Once:
    """A value computed on first use, then kept: the job reads the taxonomy file once."""

    def __init__(self, make: Callable[[], Any]):
        self.make = make
        self.done = False
        self.value: Any = None

    def __call__(self) -> Any:
        if not self.done:
            self.value, self.done = self.make(), True
        return self.value


def report(
    cfg: Config | None,
    store: Path,
    *,
    accounts: Path | None = None,
    min_arr: float | None = None,
    out: Path | None = None,
    taxonomy: Taxonomy | None = None,
) -> Report:
    """The report stage with the config's taxonomy (names of the themes)."""
    if taxonomy is None and cfg is not None and cfg.taxonomy is not None:
        taxonomy = load_taxonomy(cfg.taxonomy)
    return run_report(
        store,
        taxonomy=taxonomy,
        accounts=accounts,
        settings=ReportSettings(min_arr=min_arr, **_voice(cfg), **(cfg.report if cfg else {})),
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
    store_path = Store.check_folder(resolve_store(cfg, store))  # a file is no store to plan on
    opened = Store.open(store_path) if (store_path / MARKER).exists() else None
    sources = plan_ingest(opened, list(cfg.sources.values()))
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
