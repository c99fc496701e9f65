"""The main job: one at a time per store, a manifest per job, a dry run that writes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from silobridge.config import load_config
from silobridge.pipeline.job import jobs, plan_job
from silobridge.pipeline.store import Store

from ..commands.test_cli import _config

SILOBRIDGE = str(Path(sys.executable).with_name("silobridge"))


def test_dry_run_lists_new_files_and_writes_nothing(tmp_path: Path):
    cfg = load_config(_config(tmp_path))
    plan = plan_job(cfg)
    assert plan["store_exists"] is False
    assert plan["sources"]["feedback"] == {"files": 1, "new_or_changed": ["feedback.jsonl"]}
    assert not (tmp_path / "st").exists()


def test_a_second_job_on_the_same_store_exits_4_and_names_the_first(tmp_path: Path, embedder):
    config = _config(tmp_path)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    first = subprocess.Popen(
        [SILOBRIDGE, "run", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lock = tmp_path / "st" / ".job.lock"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (lock.exists() and lock.read_text()):
        time.sleep(0.05)
    assert lock.read_text().startswith("job "), "the first job never took the store"
    second = subprocess.run(
        [SILOBRIDGE, "run", "-c", str(config)], capture_output=True, text=True, env=env
    )
    single = subprocess.run(
        [SILOBRIDGE, "classify", "-c", str(config)], capture_output=True, text=True, env=env
    )
    assert first.wait(timeout=300) == 3, first.stderr.read()  # the sample export has a bad line
    assert second.returncode == 4, second.stderr
    assert "in use by another silobridge job" in second.stderr
    assert "pid" in second.stderr and "Traceback" not in second.stderr
    assert single.returncode == 4, single.stderr
    manifests = jobs(tmp_path / "st")
    assert len(manifests) == 1 and manifests[0]["outcome"] == "ok_with_quarantine"


def test_job_manifest_records_stages_versions_and_outcome(tmp_path: Path, embedder):
    from silobridge.pipeline.job import run_job

    job = run_job(load_config(_config(tmp_path)))
    manifest = json.loads((tmp_path / "st" / "jobs" / f"{job.job_id}.json").read_text())
    assert manifest == json.loads(json.dumps(job.manifest))
    assert manifest["stage_order"] == ["ingest", "understand", "classify", "discover", "report"]
    assert set(manifest["stages"]) == set(manifest["stage_order"])
    assert manifest["outcome"] == "ok_with_quarantine"
    assert manifest["stages"]["understand"]["counts"]["items_processed"] == 2
    assert {"embedding_model", "redact", "theme", "cluster"} <= set(manifest["versions"])
    assert manifest["config_hash"] == load_config(_config(tmp_path)).config_hash()
    again = run_job(load_config(_config(tmp_path)))
    assert again.manifest["stages"]["understand"]["counts"]["items_processed"] == 0
    assert again.manifest["outcome"] == "ok"


def test_single_stage_commands_wait_for_no_job_in_this_process(tmp_path: Path):
    store = Store.open(tmp_path / "st", create=True)
    with store.job("test"), store.writing("r1") as writer:
        assert writer.run_id == "r1"  # this process holds the job: its stages run
    code = (
        "import sys; from silobridge.pipeline.store import Store; "
        "s = Store.open(sys.argv[1]);\n"
        "with s.writing('r2'): pass"
    )
    with store.job("test"):
        other = subprocess.run(
            [sys.executable, "-c", code, str(tmp_path / "st")], capture_output=True, text=True
        )
    assert other.returncode != 0 and "being written by a silobridge job" in other.stderr


@pytest.mark.parametrize("fmt", ["json"])
def test_log_format_json_writes_one_object_per_line(tmp_path: Path, fmt: str):
    config = _config(tmp_path)
    done = subprocess.run(
        [SILOBRIDGE, "--log-format", fmt, "ingest", "-c", str(config)],
        capture_output=True,
        text=True,
    )
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert lines and {"ts", "level", "logger", "message"} <= set(lines[0])
    assert done.stderr.strip().splitlines() == [json.dumps(x) for x in lines]
