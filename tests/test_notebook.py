"""notebooks/explore.ipynb runs top to bottom on the bundled sample, and is committed clean.

The execution test runs it on the sample's store (built once per session by the
``sample_pipeline_store`` fixture, the notebook's own first step skipped), in a kernel started
from this interpreter (the project's venv), with matplotlib's headless Agg backend.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "explore.ipynb"
KERNEL = "silobridge-test"
#: Appended to the executed copy: reports what the notebook left in its namespace.
CHECK = """
import json, sys
print(json.dumps({
    "python": sys.executable,
    "store": str(STORE),
    "units": len(units),
    "labels": len(labels),
    "themes": int((themes["status"] == "active").sum()),
    "tables": {name: len(table) for name, table in report.tables.items()},
    "significant_blind_spots": int(report.tables["blind_spots"]["significant"].sum()),
    "tried_units": len(understood.units),
    "tried_labels": len(classified.labels),
    "heatmap_images": len(heatmap.axes[0].images),
    "trend_lines": len(trend_figure.axes[0].lines),
}))
"""


def test_notebook_is_committed_without_outputs():
    # plain JSON, so this runs even where the notebook tools are not installed
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert nb["nbformat"] == 4
    dirty = [
        i
        for i, cell in enumerate(nb["cells"])
        if cell["cell_type"] == "code"
        and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, f"{NOTEBOOK.name}: cells {dirty} have outputs; clear them before committing"


@pytest.mark.slow
def test_notebook_runs_top_to_bottom_on_the_sample(tmp_path, monkeypatch, sample_pipeline_store):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    # A kernel spec of our own, first on JUPYTER_PATH, so the kernel is this interpreter and not
    # whatever "python3" a user-wide Jupyter install points at.
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": KERNEL, "language": "python"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    # the sample's store, built once for the session by the same library calls as the
    # notebook's first step; a copy, so nothing the notebook does reaches other tests
    store = tmp_path / "store"
    shutil.copytree(sample_pipeline_store, store)
    monkeypatch.setenv("SILOBRIDGE_STORE", str(store))

    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(CHECK))
    client = nbclient.NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=600,
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as e:
        pytest.fail(f"{NOTEBOOK.name} failed:\n{e}")

    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            errors = [o for o in cell.outputs if o.output_type == "error"]
            assert not errors, f"cell {i}: {errors}"
            assert cell.execution_count is not None, f"cell {i} did not run"
    streams = [o.text for o in nb.cells[-1].outputs if o.output_type == "stream"]
    facts = json.loads("".join(streams))
    assert Path(facts["python"]).resolve() == Path(sys.executable).resolve()
    assert Path(facts["store"]) == store
    assert facts["units"] > 1000 and facts["labels"] == facts["units"]
    assert facts["themes"] > 0
    for name in ("matrix", "blind_spots", "trends", "evidence", "themes"):
        assert facts["tables"][name] > 0, name
    assert facts["significant_blind_spots"] > 0
    assert facts["tried_units"] > 0 and facts["tried_labels"] == facts["tried_units"]
    assert facts["heatmap_images"] == 1
    assert facts["trend_lines"] >= 2
