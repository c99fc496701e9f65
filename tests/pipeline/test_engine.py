"""The execution engines: the ray engine writes the store the local engine writes; the local
engine neither needs nor imports Ray.

The Ray test starts a local Ray itself (two workers). Without Ray installed it is skipped, unless
``CI`` is set: then it fails (``make test`` installs the ``ray`` extra).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from silobridge.config import load_config
from silobridge.errors import ConfigError
from silobridge.pipeline.engine import Execution, LabelWorker, _workers
from silobridge.pipeline.store import Store

from ..commands.test_cli import _config
from ..conftest import SAMPLE, TAXONOMY


def _ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("CI must run the ray engine's tests: pip install 'silobridge[ray]'")
        pytest.skip("Ray is not installed (pip install 'silobridge[ray]')")


def _sorted(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    drop = [c for c in frame.columns if c.endswith("run_id") or c.endswith("_at")]
    # lists, dicts and NaN compare (and sort) by their text
    frame = frame.drop(columns=drop).astype(str)
    return frame.sort_values([k for k in key if k not in drop], kind="stable").reset_index(
        drop=True
    )


@pytest.fixture(scope="module")
def ray_job(tmp_path_factory, sample_pipeline_store):
    """The sample through the whole job on the ray engine (a Ray started for the job). Its
    store starts with the local run's embedding cache (the suite's time: the vectors are the
    same either way, tests/pipeline/test_embed.py checks that), so every other step runs on
    Ray workers as it would."""
    _ray()
    from silobridge.pipeline.job import run_job

    config = load_config(SAMPLE / "silobridge.sample.toml")
    store = tmp_path_factory.mktemp("ray-engine") / "store"
    cache = Store.open(store, create=True).embeddings_path
    shutil.copytree(Path(sample_pipeline_store) / "embeddings", cache, dirs_exist_ok=True)
    return run_job(config, store, engine="ray")


TABLES = {
    "units": ["unit_id"],
    "understood": ["item_id"],
    "classified": ["unit_id"],
    "discovered": ["unit_id"],
    "themes": ["theme_id"],
}


@pytest.mark.parametrize("table", list(TABLES))
def test_ray_engine_writes_the_local_engines_rows(ray_job, sample_pipeline_store, table):
    local = Store.open(sample_pipeline_store).read(table).to_pandas()
    ray = Store.open(ray_job.store).read(table).to_pandas()
    assert len(local) and len(ray) == len(local)
    pd.testing.assert_frame_equal(_sorted(ray, TABLES[table]), _sorted(local, TABLES[table]))


def test_ray_engine_gives_the_local_engines_report_tables(ray_job, sample_pipeline_store, tmp_path):
    from silobridge.pipeline.report import run_report
    from silobridge.taxonomy import load_taxonomy

    local = run_report(sample_pipeline_store, taxonomy=load_taxonomy(TAXONOMY), out=tmp_path)
    ray = ray_job.results["report"]
    assert ray_job.manifest["engine"] == "ray" and ray_job.manifest["outcome"] != "failed"
    names = sorted(p.name for p in (local.path / "tables").glob("*.parquet"))
    assert "blind_spots.parquet" in names and "matrix.parquet" in names
    assert names == sorted(p.name for p in (ray.path / "tables").glob("*.parquet"))
    for name in names:
        a = pd.read_parquet(local.path / "tables" / name)
        b = pd.read_parquet(ray.path / "tables" / name)
        key = list(a.columns)
        pd.testing.assert_frame_equal(_sorted(b, key), _sorted(a, key), obj=name)


def test_execution_settings_are_validated_with_file_and_key(tmp_path: Path):
    base = _config(tmp_path).read_text()
    for body, key in (
        ('[execution]\nengine = "spark"\n', "execution.engine"),
        ("[execution]\nworkers = 0\n", "execution.workers"),
        ("[execution]\ncpus_per_worker = -1\n", "execution.cpus_per_worker"),
        ("[execution]\nnodes = 3\n", "execution.nodes"),
    ):
        path = tmp_path / "bad.toml"
        path.write_text(base + body)
        with pytest.raises(ConfigError) as e:
            load_config(path)
        assert str(path) in str(e.value) and key in str(e.value)
    path = tmp_path / "good.toml"
    path.write_text(base + '[execution]\nengine = "ray"\nworkers = 3\nbatch_items = 500\n')
    cfg = load_config(path)
    assert cfg.execution == Execution(engine="ray", workers=3, batch_items=500)
    # where the work runs is not part of what the results depend on
    assert cfg.config_hash() == load_config(_config(tmp_path)).config_hash()
    assert cfg.execution.with_engine("local").engine == "local"


def test_a_label_block_split_across_batches_is_refused():
    units = pd.DataFrame({"unit_id": ["u1", "u2"], "text": ["a", "b"]})
    table = pa.Table.from_pandas(units).append_column(
        "vector", pa.FixedSizeListArray.from_arrays(pa.array(np.zeros(8, np.float32)), 4)
    )
    table = table.append_column("block", pa.array([0, 0], pa.int64()))
    table = table.append_column("block_rows", pa.array([3, 3]))
    with pytest.raises(RuntimeError, match="split"):
        LabelWorker(stage=None)(table)


BLOCK_RAY = """
import sys
sys.modules["ray"] = None  # as if Ray were not installed: import fails, find_spec is None
from silobridge.cli import main
sys.argv = ["silobridge", *sys.argv[1:]]
try:
    main()
finally:
    loaded = [m for m, v in sys.modules.items() if m.split(".")[0] == "ray" and v is not None]
    assert not loaded, f"imported {loaded}"
"""


def test_the_local_engine_runs_without_ray_and_ray_says_how_to_install(tmp_path: Path):
    config = _config(tmp_path)
    script = tmp_path / "noray.py"
    script.write_text(BLOCK_RAY)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(script), *args], capture_output=True, text=True, env=env
        )

    local = cli("run", "-c", str(config), "--engine", "local")
    assert local.returncode == 3, local.stderr  # the export has one bad line: quarantined
    assert len(Store.open(tmp_path / "st").units(columns=["unit_id"])) > 0
    wanted = cli("classify", "-c", str(config), "--engine", "ray")
    assert wanted.returncode == 2
    assert "pip install 'silobridge[ray]'" in wanted.stderr and "Traceback" not in wanted.stderr
    wrong = cli("run", "-c", str(config), "--engine", "spark")
    assert wrong.returncode == 2 and "execution.engine" in wrong.stderr


class _Cluster:
    def __init__(self, cpus: float):
        self.cpus = cpus

    def cluster_resources(self) -> dict[str, float]:
        return {"CPU": self.cpus}


def test_workers_leave_a_cpu_for_reading_or_the_run_is_refused():
    assert _workers(_Cluster(9), Execution(engine="ray")) == 8
    assert _workers(_Cluster(9), Execution(engine="ray", cpus_per_worker=2)) == 4
    assert _workers(_Cluster(9), Execution(engine="ray", workers=3)) == 3
    for cpus, execution in ((1, Execution(engine="ray")), (4, Execution(engine="ray", workers=4))):
        with pytest.raises(ConfigError, match="one for reading"):
            _workers(_Cluster(cpus), execution)
