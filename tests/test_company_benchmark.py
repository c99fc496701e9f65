"""The company benchmark (benchmarks/company): a small company, generated, run and scored."""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

COMPANY = ROOT / "benchmarks" / "company"
sys.path.insert(0, str(COMPANY))
EVAL = ROOT.parent / "shared" / "eval"  # the labelled data sets, next to the repository
pytestmark = pytest.mark.skipif(
    not (EVAL / "app_reviews_maalej").is_dir(), reason="needs the labelled data in ../shared/eval"
)


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".silobridge" not in p.parts and p.name != "score.json"
    }


def _squash(text: str) -> str:
    """Letters and digits only, after undoing HTML, JSON and CSV escapes."""
    text = html.unescape(html.unescape(text)).replace('\\"', '"').replace("\\n", " ")
    return re.sub(r"\W+", "", text.lower())


def test_generator_is_deterministic_and_truth_consistent(tmp_path: Path) -> None:
    """Same seed, same bytes; every truth item is in the export it names."""
    from generate import generate

    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    truth = generate(a, seed=3, texts="tickets", items=60)
    generate(b, seed=3, texts="tickets", items=60)
    generate(c, seed=4, texts="tickets", items=60)
    assert _files(a) == _files(b)
    assert _files(a) != _files(c)
    written = {name: data.decode("utf-8") for name, data in _files(a).items()}
    themes = {t["id"] for t in truth["themes"]}
    for item in truth["items"]:
        files = [n for n in written if n == item["file"] or n.startswith(item["file"] + "/")]
        assert files, item["file"]
        blob = "".join(written[n] for n in files)
        # native ids: a Slack id is channel:ts, the ts is in the day file
        assert item["native_id"].split(":")[-1] in blob
        if item["customer_text"]:
            assert item["theme"] in themes
            assert item["customer_voice"] in ("direct", "relayed")
            assert _squash(item["customer_text"])[:40] in _squash(blob)
    assert len([i for i in truth["items"] if i["theme"]]) >= 60
    assert {b["function"] for b in truth["blind_spots"]} <= set(truth["functions"])
    assert sum(truth["spike"]["weekly_counts"].values()) > 0
    assert truth["personal_data"]


def test_score_end_to_end(tmp_path: Path, embedder) -> None:
    """Generate a few dozen items, run the real job on them (in this process, so the models
    loaded once per session serve it) and score the run."""
    from generate import generate
    from score import score, table
    from silobridge.commands import app
    from typer.testing import CliRunner

    out = tmp_path / "co"
    generate(out, seed=1, texts="reviews", items=24)
    job = CliRunner().invoke(app, ["run", "--config", str(out / "silobridge.toml")])
    assert job.exit_code in (0, 3), job.stderr[-2000:]
    result = score(out, run=False)
    voice, themes = result["voice"], result["themes"]
    assert voice["items_missing_from_store"] == 0
    assert 0.5 <= voice["recall_direct"] <= 1.0
    assert 0.0 <= voice["recall_relayed"] <= 1.0
    assert 0.0 <= voice["noise_share"] <= 1.0
    assert 0.0 <= themes["macro_f1"] <= 1.0 and 0.0 <= themes["baseline_macro_f1"] <= 1.0
    assert themes["items"] >= 24
    assert len(result["blind_spots"]["planted"]) == 2
    assert isinstance(result["spike"]["found"], bool)
    pii = result["personal_data"]
    assert 0 <= pii["found_in_outputs"] <= pii["planted_values"]
    assert (out / "score.json").is_file()
    assert "recall direct" in table([result])
