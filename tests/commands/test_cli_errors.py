"""Every error a user can cause ends in a message and an exit code, never a traceback.

Every command runs against (a) a store path that does not exist, (b) a store path that is a
file, (c) a read-only store; every command that writes is refused, naming the job, while a job
of another process holds the store; a full disk during a job still leaves its manifest.
"""

from __future__ import annotations

import builtins
import errno
import io
import json
import logging
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import silobridge.pipeline.job as job_module
from silobridge.commands import app
from silobridge.commands._app import EXIT_CONFIG, EXIT_FAILED, EXIT_LOCKED, EXIT_QUARANTINED
from silobridge.config import load_config
from silobridge.errors import StoreError
from silobridge.pipeline.store import Store
from typer.main import get_command
from typer.testing import CliRunner

from ..conftest import TAXONOMY
from .test_cli import _config

runner = CliRunner()
MISSING, FILE, READ_ONLY = "missing", "file", "read-only"
OK, QUARANTINED = {0}, {EXIT_QUARANTINED}
FAILS, CONFIG = {EXIT_FAILED}, {EXIT_CONFIG}


def _commands(group, prefix: str = "") -> dict:
    """Every command by its full name, sub-commands included ("eval classify")."""
    found = {}
    for name, command in group.commands.items():
        found[prefix + name] = command
        if hasattr(command, "commands"):
            found.update(_commands(command, prefix + name + " "))
    return found


class Case:
    """How one command is run against a case's path, and what it must do there."""

    def __init__(
        self,
        argv: Callable[[Path, Path, Path], list[str]],
        expect: dict[str, set[int] | str],
        *,
        store: bool = True,
        stdin: str | None = None,
    ):
        self.argv = argv  # (path under test, config naming it as the store, work folder)
        self.expect = expect  # exit codes per case, or the reason the case is skipped
        self.store = store  # the path under test is its store (else a file it reads)
        self.stdin = stdin


def _labels(work: Path) -> Path:
    path = work / "labels.csv"
    path.write_text("text,theme\nSSO login fails again,sso_saml\n")
    return path


def _taxonomy_copy(work: Path) -> Path:
    path = work / "taxonomy.yaml"  # promote writes its taxonomy: never the repository's
    shutil.copy(TAXONOMY, path)
    return path


SLOW = "runs the whole job with the embedding model (tests/commands/test_cli.py runs it)"
#: The store-less commands get the path under test where they take a file (config, taxonomy,
#: data): a missing file, a file that is not one of theirs, a folder.
CASES: dict[str, Case] = {
    "ingest": Case(
        lambda p, c, w: ["ingest", "-c", str(c)],
        {MISSING: QUARANTINED, FILE: FAILS, READ_ONLY: FAILS},  # the export has one bad line
    ),
    "sources": Case(
        lambda p, c, w: ["sources", "-c", str(p)],
        dict.fromkeys((MISSING, FILE, READ_ONLY), CONFIG),
        store=False,
    ),
    "quarantine": Case(
        lambda p, c, w: ["quarantine", "-c", str(c)], {MISSING: FAILS, FILE: FAILS, READ_ONLY: OK}
    ),
    "runs": Case(
        lambda p, c, w: ["runs", "-c", str(c)], {MISSING: FAILS, FILE: FAILS, READ_ONLY: OK}
    ),
    "demo": Case(
        lambda p, c, w: ["demo", "--store", str(p)],
        {
            MISSING: "runs the whole job on the bundled sample (minutes)",
            FILE: FAILS,
            READ_ONLY: FAILS,
        },
    ),
    "redact": Case(
        lambda p, c, w: ["redact", "--taxonomy", str(p)],
        dict.fromkeys((MISSING, FILE, READ_ONLY), CONFIG),
        store=False,
        stdin="Hi Nadia\n",
    ),
    "understand": Case(
        lambda p, c, w: ["understand", "-c", str(c)],
        dict.fromkeys((MISSING, FILE, READ_ONLY), FAILS),
    ),
    "classify": Case(
        lambda p, c, w: ["classify", "-c", str(c)], dict.fromkeys((MISSING, FILE, READ_ONLY), FAILS)
    ),
    "taxonomy": Case(
        lambda p, c, w: ["taxonomy", str(p)],
        dict.fromkeys((MISSING, FILE, READ_ONLY), CONFIG),
        store=False,
    ),
    "run": Case(
        lambda p, c, w: ["run", "-c", str(c)], {MISSING: SLOW, FILE: FAILS, READ_ONLY: FAILS}
    ),
    "run --dry-run": Case(
        lambda p, c, w: ["run", "--dry-run", "-c", str(c)],
        {MISSING: OK, FILE: FAILS, READ_ONLY: OK},
    ),
    "discover": Case(
        lambda p, c, w: ["discover", "-c", str(c)], dict.fromkeys((MISSING, FILE, READ_ONLY), FAILS)
    ),
    "report": Case(
        lambda p, c, w: ["report", "-c", str(c)], dict.fromkeys((MISSING, FILE, READ_ONLY), FAILS)
    ),
    "eval classify": Case(
        lambda p, c, w: ["eval", "classify", "--data", str(p), "--labels", str(_labels(w))],
        dict.fromkeys((MISSING, FILE, READ_ONLY), CONFIG),
        store=False,
    ),
    "eval cluster": Case(
        lambda p, c, w: ["eval", "cluster", "--data", str(p)],
        dict.fromkeys((MISSING, FILE, READ_ONLY), CONFIG),
        store=False,
    ),
    "label import": Case(
        lambda p, c, w: ["label", "import", str(_labels(w)), "-c", str(c)],
        {
            MISSING: "creates the store, then redacts (tests/pipeline/test_classify.py)",
            FILE: FAILS,
            READ_ONLY: FAILS,
        },
    ),
    "themes": Case(
        lambda p, c, w: ["themes", "-c", str(c)], {MISSING: FAILS, FILE: FAILS, READ_ONLY: OK}
    ),
    "themes rename": Case(
        lambda p, c, w: ["themes", "-c", str(c), "rename", "D0001", "Billing"],
        dict.fromkeys((MISSING, FILE, READ_ONLY), FAILS),
    ),
    "themes merge": Case(
        lambda p, c, w: ["themes", "-c", str(c), "merge", "D0001", "D0002"],
        dict.fromkeys((MISSING, FILE, READ_ONLY), FAILS),
    ),
    "themes promote": Case(
        lambda p, c, w: [
            "themes",
            "-c",
            str(c),
            "promote",
            "D0001",
            "--taxonomy",
            str(_taxonomy_copy(w)),
        ],
        dict.fromkeys((MISSING, FILE, READ_ONLY), FAILS),
    ),
}
GROUPS = {"eval", "label"}  # only hold sub-commands


def test_every_command_has_a_case():
    commands = set(_commands(get_command(app)))
    assert commands - GROUPS == {name.split(" --")[0] for name in CASES}


# --------------------------------------------------------------------------- the three paths


@pytest.fixture(scope="module")
def small_store(tmp_path_factory) -> Path:
    """A real store with one ingest run (two items, one quarantined record)."""
    work = tmp_path_factory.mktemp("small")
    config = _config(work)
    done = runner.invoke(app, ["ingest", "-c", str(config)])
    assert done.exit_code == EXIT_QUARANTINED, done.stderr
    return work / "st"


def _config_naming(work: Path, store: Path) -> Path:
    """The test config (one jsonl source, the default taxonomy) with ``store`` as its store."""
    text = _config(work).read_text().replace('path = "st"', f"path = {json.dumps(str(store))}")
    path = work / "case.toml"
    path.write_text(text)
    return path


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(root.rglob("*"))}


def _inside(path: object, root: Path) -> bool:
    if not isinstance(path, str | bytes | os.PathLike):
        return False  # a file descriptor
    p = Path(os.fsdecode(path)).absolute()
    return p == root or root in p.parents


def _simulate_read_only(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    """Make every Python-level write under ``root`` fail as on a read-only folder (EACCES).

    Tests run as root in CI, where file modes stop nothing. Delta Lake writes in Rust, out of
    reach, but every write of a store begins with its lock file (``os.open``), which fails here.
    """
    root = root.resolve()
    writes = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND

    def deny(path: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))  # type: ignore[arg-type]

    real = {name: getattr(os, name) for name in ("open", "mkdir", "unlink", "remove", "rmdir")}
    real_replace, real_rename, real_symlink, real_io_open = (
        os.replace,
        os.rename,
        os.symlink,
        io.open,
    )

    def fake_open(path, flags, *args, **kwargs):
        if flags & writes and _inside(path, root):
            deny(path)
        return real["open"](path, flags, *args, **kwargs)

    def guard(name: str) -> Callable[..., object]:
        def fake(path, *args, **kwargs):
            if _inside(path, root):
                deny(path)
            return real[name](path, *args, **kwargs)

        return fake

    def fake_move(move: Callable[..., object]) -> Callable[..., object]:
        def fake(src, dst, *args, **kwargs):
            for path in (src, dst):
                if _inside(path, root):
                    deny(path)
            return move(src, dst, *args, **kwargs)

        return fake

    def fake_io_open(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax+") and _inside(file, root):
            deny(file)
        return real_io_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake_open)
    for name in ("mkdir", "unlink", "remove", "rmdir"):
        monkeypatch.setattr(os, name, guard(name))
    monkeypatch.setattr(os, "replace", fake_move(real_replace))
    monkeypatch.setattr(os, "rename", fake_move(real_rename))
    monkeypatch.setattr(os, "symlink", fake_move(real_symlink))
    monkeypatch.setattr(io, "open", fake_io_open)
    monkeypatch.setattr(builtins, "open", fake_io_open)


@pytest.fixture(params=["simulated", "chmod"])
def read_only_store(request, small_store: Path, tmp_path: Path, monkeypatch) -> Iterator[Path]:
    """A copy of the small store that cannot be written: file modes (as a non-root user), or
    Python's writes under it made to fail (for root, whom file modes do not stop)."""
    store = tmp_path / "ro-store"
    shutil.copytree(small_store, store)
    if request.param == "chmod":
        if os.geteuid() == 0:
            pytest.skip("root ignores file modes; the 'simulated' read-only store covers it")
        paths = [store, *store.rglob("*")]
        for p in paths:
            p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        yield store
        for p in paths:
            p.chmod(p.stat().st_mode | stat.S_IWUSR)
        return
    _simulate_read_only(monkeypatch, store)
    yield store


def _run(name: str, path: Path, work: Path, kind: str):
    """Run command ``name`` on ``path``; check it ends as the case expects, with no traceback
    and, when it fails, a message naming the path."""
    case = CASES[name]
    expected = case.expect[kind]
    if isinstance(expected, str):
        pytest.skip(expected)
    config = _config_naming(work, path)
    result = runner.invoke(app, case.argv(path, config, work), input=case.stdin)
    shown = f"`silobridge {name}` on a {kind} path: exit {result.exit_code}\n{result.output}"
    # an exception that got out of the command would be a traceback for the user
    assert result.exception is None or isinstance(result.exception, SystemExit), shown
    assert "Traceback" not in result.output, shown
    assert result.exit_code in expected, shown
    if result.exit_code not in (0, EXIT_QUARANTINED):
        assert str(path.resolve()) in result.stderr, shown
    return result


@pytest.mark.parametrize("name", list(CASES))
def test_a_missing_store_path(name: str, tmp_path: Path):
    path = tmp_path / "nothing-here"
    result = _run(name, path, tmp_path, MISSING)
    if CASES[name].store and result.exit_code == EXIT_FAILED:
        assert f"No silobridge store at {path}. Run `silobridge ingest`" in result.stderr


@pytest.mark.parametrize("name", list(CASES))
def test_a_store_path_that_is_a_file(name: str, tmp_path: Path):
    path = tmp_path / "a-file"
    path.write_text("not a store\n")
    result = _run(name, path, tmp_path, FILE)
    if CASES[name].store:
        assert f"Error: {path} is a file, not a store folder." in result.stderr
    assert path.read_text() == "not a store\n"  # left as it was


@pytest.mark.parametrize("name", list(CASES))
def test_a_read_only_store(name: str, read_only_store: Path, tmp_path: Path):
    before = _snapshot(read_only_store)
    work = tmp_path / "work"
    work.mkdir()
    result = _run(name, read_only_store, work, READ_ONLY)
    if CASES[name].store and result.exit_code == EXIT_FAILED:
        assert (
            f"Error: Cannot write the store at {read_only_store}: it is read-only (permission "
            "denied)." in result.stderr
        )
    assert _snapshot(read_only_store) == before  # nothing written, not even a lock file


def test_a_store_under_a_file_names_the_file(tmp_path: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = runner.invoke(app, ["runs", "--store", str(blocker / "st")])
    assert result.exit_code == EXIT_FAILED
    assert f"{blocker} is a file, so {blocker / 'st'} cannot be a store folder" in result.stderr


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_logs_get_one_error_line_and_no_traceback(
    read_only_store: Path, tmp_path: Path, restore_logging
):
    config = _config_naming(tmp_path, read_only_store)
    file = tmp_path / "a-file"
    file.write_text("not a store\n")
    for argv, path in (
        (["ingest", "-c", str(config)], read_only_store),
        (["report", "--store", str(file)], file),
        (["runs", "--store", str(tmp_path / "nothing")], tmp_path / "nothing"),
    ):
        result = runner.invoke(app, ["--log-format", "json", *argv])
        assert result.exit_code == EXIT_FAILED, result.output
        lines = [json.loads(line) for line in result.stderr.splitlines()]  # JSON, every line
        errors = [line for line in lines if line["level"] == "error"]
        assert len(errors) == 1 and str(path) in errors[0]["message"], lines


def test_the_console_script_prints_no_traceback(tmp_path: Path):
    file = tmp_path / "a-file"
    file.write_text("not a store\n")
    config = _config_naming(tmp_path, file)
    command = [sys.executable, "-m", "silobridge.cli", "--log-format", "json"]
    done = subprocess.run(
        [*command, "ingest", "-c", str(config)],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert done.returncode == EXIT_FAILED
    assert "Traceback" not in done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert lines[-1]["level"] == "error"
    assert f"{file} is a file, not a store folder" in lines[-1]["message"]


# ------------------------------------------------------------------ a job of another process

HOLD_JOB = """
import sys
from silobridge.pipeline.store import Store
store = Store.open(sys.argv[1], create=True)
with store.job(sys.argv[2]):
    print("held", flush=True)
    sys.stdin.read()
"""
HOLD_RUN = """
import sys
from silobridge.pipeline.store import Store
store = Store.open(sys.argv[1], create=True)
with store.writing(sys.argv[2]):
    print("held", flush=True)
    sys.stdin.read()
"""


class _Holder:
    """Another process that holds the store (a job, or a single-stage run) until closed."""

    def __init__(self, code: str, store: Path, name: str):
        ident = name.partition(" ")[2]  # "job ID" or "run ID": the holder passes the ID
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, str(store), ident],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        assert line.strip() == "held", self.proc.stderr.read() if self.proc.stderr else ""
        self.words = f"{name}, pid {self.proc.pid} on host {socket.gethostname()}, since "

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        assert self.proc.wait(timeout=60) == 0


WRITERS = [
    "ingest",
    "understand",
    "classify",
    "discover",
    "themes rename",
    "themes merge",
    "themes promote",
    "label import",
    "report",
    "run",
    "demo",
]


def test_every_writer_is_refused_naming_the_job_of_another_process(
    small_store: Path, tmp_path: Path
):
    store = tmp_path / "held"
    shutil.copytree(small_store, store)
    store = store.resolve()
    holder = _Holder(HOLD_JOB, store, "job 20261207T021500Z-abc123")
    try:
        assert (Store.open(store).holder() or "").startswith(holder.words)
        assert (store / ".job.lock").read_text().startswith(holder.words)
        config = _config_naming(tmp_path, store)
        for name in WRITERS:
            result = runner.invoke(app, CASES[name].argv(store, config, tmp_path))
            shown = f"`silobridge {name}`: exit {result.exit_code}\n{result.output}"
            assert result.exit_code == EXIT_LOCKED, shown
            if name in ("run", "demo"):  # a job refused by a job
                words = f"The store {store} is in use by another silobridge job or run ("
            else:
                words = f"The store {store} is being written by a silobridge job ("
            assert words + holder.words in result.stderr, shown
    finally:
        holder.close()
    assert not (store / ".job.lock").read_text()  # the holder's words go with it
    assert Store.open(store).holder() is None


def test_a_job_refused_by_a_single_stage_run_names_the_run(small_store: Path, tmp_path: Path):
    store = tmp_path / "held"
    shutil.copytree(small_store, store)
    store = store.resolve()
    # a job killed (SIGKILL) long ago left its words; they must not be taken for the holder's
    (store / ".job.lock").write_text("job ghost, pid 1 on host nowhere, since 2020-01-01")
    holder = _Holder(HOLD_RUN, store, "run nightly-7")
    try:
        result = runner.invoke(app, ["run", "-c", str(_config_naming(tmp_path, store))])
        assert result.exit_code == EXIT_LOCKED, result.output
        assert f"in use by another silobridge job or run ({holder.words}" in result.stderr
        assert "ghost" not in result.stderr
    finally:
        holder.close()


# ------------------------------------------------------------------------- a full disk


def _no_space(path: Path) -> OSError:
    return OSError(errno.ENOSPC, "No space left on device", str(path))


def _quick_stages(monkeypatch: pytest.MonkeyPatch) -> None:
    """The job with a real ingest and stand-ins for the model's stages (understand, classify,
    discover): the job's order, manifest and errors are what is under test, not the model."""

    def result(**extra: object) -> SimpleNamespace:
        return SimpleNamespace(run_id="r", stats={}, labels=None, to_dict=lambda: {}, **extra)

    monkeypatch.setattr(
        job_module, "embedder", lambda cfg, model=None: SimpleNamespace(model_id="m")
    )
    for stage in ("run_understand", "run_classify", "run_discover"):
        monkeypatch.setattr(job_module, stage, lambda *args, **kwargs: result())


def test_a_full_disk_in_the_report_stage_still_writes_the_job_manifest(tmp_path: Path, monkeypatch):
    config = _config(tmp_path)
    store = (tmp_path / "st").resolve()
    full = store / "reports" / "x" / "report.html"

    def report(*args, **kwargs):
        raise _no_space(full)

    _quick_stages(monkeypatch)
    monkeypatch.setattr(job_module, "report", report)
    result = runner.invoke(app, ["run", "-c", str(config)])
    assert result.exit_code == EXIT_FAILED, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"Error: No space left on device while writing {full}." in result.stderr
    [manifest] = job_module.jobs(store)
    assert (manifest["outcome"], manifest["failed_stage"]) == ("failed", "report")
    assert manifest["error"] == f"OSError: [Errno {errno.ENOSPC}] No space left on device: '{full}'"
    assert manifest["stage_order"] == ["ingest", "understand", "classify", "discover"]


def _ingest_then(fail: BaseException | None) -> Callable[..., None]:
    """A job's stages: a real ingest (the store exists), then ``fail`` raised, if any."""

    def run_stages(cfg, store_path, options, stage, model, execution) -> None:
        stage("ingest", lambda: job_module.run_ingest(store_path, list(cfg.sources.values())))
        if fail is not None:
            raise fail

    return run_stages


def test_a_manifest_that_cannot_be_written_does_not_hide_the_stage_error(
    tmp_path: Path, monkeypatch, caplog
):
    cfg = load_config(_config(tmp_path))
    store = (tmp_path / "st").resolve()
    boom = _no_space(store / "reports" / "x")

    def write_json_atomic(path, data):
        raise _no_space(path)

    monkeypatch.setattr(job_module, "_run_stages", _ingest_then(boom))
    monkeypatch.setattr(job_module, "write_json_atomic", write_json_atomic)
    with caplog.at_level(logging.ERROR), pytest.raises(OSError) as raised:
        job_module.run_job(cfg)
    assert raised.value is boom  # the stage's error, not the manifest's
    [record] = [r for r in caplog.records if "manifest" in r.getMessage()]
    assert "was not written: No space left on device while writing" in record.getMessage()
    assert str(store / "jobs") in record.getMessage()


def test_a_manifest_that_cannot_be_written_fails_a_finished_job(tmp_path: Path, monkeypatch):
    cfg = load_config(_config(tmp_path))

    def write_json_atomic(path, data):
        raise _no_space(path)

    monkeypatch.setattr(job_module, "_run_stages", _ingest_then(None))
    monkeypatch.setattr(job_module, "write_json_atomic", write_json_atomic)
    with pytest.raises(StoreError, match=r"The job manifest .* was not written: No space left"):
        job_module.run_job(cfg)


def test_a_failed_job_writes_its_manifest(tmp_path: Path, monkeypatch):
    cfg = load_config(_config(tmp_path))
    boom = _no_space(tmp_path / "st" / "units")
    monkeypatch.setattr(job_module, "_run_stages", _ingest_then(boom))
    with pytest.raises(OSError) as raised:
        job_module.run_job(cfg)
    assert raised.value is boom
    [manifest] = job_module.jobs(tmp_path / "st")
    assert (manifest["outcome"], manifest["failed_stage"]) == ("failed", "understand")


def test_writing_turns_a_full_disk_into_a_store_error_naming_the_store(tmp_path: Path):
    store = Store.open(tmp_path / "st", create=True)
    full = f"No space left on device while writing {store.root}"
    with pytest.raises(StoreError, match=re.escape(full)), store.writing("r1"):
        raise OSError(errno.ENOSPC, "No space left on device")
    elsewhere = PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "export.csv"))
    with pytest.raises(PermissionError) as raised, store.writing("r2"):
        raise elsewhere  # an export that cannot be read is not the store's error
    assert raised.value is elsewhere


def test_a_bug_shows_its_traceback_in_text_and_one_line_without_its_message_in_json(
    tmp_path: Path, monkeypatch, restore_logging
):
    import silobridge.pipeline.curate as curate

    def broken(*args, **kwargs):
        raise KeyError("a customer's words")  # a bug's message may quote a record

    monkeypatch.setattr(curate, "list_themes", broken)
    argv = ["themes", "--store", str(tmp_path)]
    text = runner.invoke(app, argv)
    assert isinstance(text.exception, KeyError)  # the traceback helps whoever reports it
    logged = runner.invoke(app, ["--log-format", "json", *argv])
    assert logged.exit_code == EXIT_FAILED
    [line] = [json.loads(line) for line in logged.stderr.splitlines()]
    assert line["level"] == "error" and "unexpected KeyError at " in line["message"]
    assert "customer" not in logged.stderr
