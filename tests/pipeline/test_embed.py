"""Embeddings: normalised vectors, one encode per distinct text, a Delta cache keyed by model id."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake
from silobridge.errors import ConfigError, StoreError
from silobridge.pipeline.embed import Embedder, embed, embed_texts, model_files_hash
from silobridge.pipeline.store.cache import CACHE_SCHEMA, EmbeddingCache, cache_key

from ..conftest import FIXTURES

TEXTS = [
    "The SSO setup failed again after the update.",
    "We are also looking at Datawise for reporting.",
    "The new dashboard is great, the team loves it.",
    "CSV export times out for large accounts.",
    "Please add a dark mode to the mobile app.",
    "Billing charged us twice this month.",
    "Alerts arrive an hour late.",
    "Onboarding took far too long.",
]


@pytest.fixture
def cache(tmp_path: Path) -> EmbeddingCache:
    return EmbeddingCache(tmp_path / "embeddings")


def test_embed_vectors_are_normalised_float32(embedder):
    vectors = embed_texts(TEXTS, embedder=embedder)
    assert vectors.dtype == np.float32
    assert vectors.shape == (len(TEXTS), 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # distinct texts give distinct vectors (a constant or zero output would pass the checks above)
    similarity = vectors @ vectors.T
    assert similarity[np.triu_indices(len(TEXTS), 1)].max() < 0.9


def test_embed_same_text_gives_identical_vector_and_is_encoded_once(embedder, cache):
    before = embedder.n_encoded_
    result = embed([TEXTS[0], TEXTS[1], TEXTS[0], TEXTS[0]], embedder=embedder, cache=cache)
    assert (result.n_texts, result.n_unique, result.duplicates) == (4, 2, 2)
    assert result.encoded == 2 and embedder.n_encoded_ - before == 2
    assert np.array_equal(result.vectors[0], result.vectors[2])
    assert np.array_equal(result.vectors[0], result.vectors[3])
    again = embed_texts([TEXTS[0]], embedder=embedder, cache=cache)
    assert np.array_equal(again[0], result.vectors[0])  # bit for bit, from the cache


def test_embed_rerun_encodes_nothing_new(embedder, cache):
    first = embed(TEXTS, embedder=embedder, cache=cache)
    assert (first.encoded, first.cache_hits, first.written) == (len(TEXTS), 0, len(TEXTS))
    before = embedder.n_encoded_
    version = DeltaTable(str(cache.path)).version()

    second = embed(TEXTS, embedder=embedder, cache=cache)
    assert (second.encoded, second.cache_hits, second.written) == (0, len(TEXTS), 0)
    assert embedder.n_encoded_ == before  # the model was not called
    assert DeltaTable(str(cache.path)).version() == version  # nothing committed
    assert np.array_equal(second.vectors, first.vectors)


def test_embed_new_text_encodes_only_that_one(embedder, cache):
    embed(TEXTS, embedder=embedder, cache=cache)
    before = embedder.n_encoded_
    new = "Single sign-on works now, thanks to the fix."
    result = embed([*TEXTS, new, TEXTS[2]], embedder=embedder, cache=cache)
    assert (result.encoded, result.cache_hits, result.written) == (1, len(TEXTS), 1)
    assert embedder.n_encoded_ - before == 1
    assert len(cache) == len(TEXTS) + 1


def test_embed_other_model_id_reembeds_and_keeps_vectors_apart(embedder, cache):
    embed(TEXTS, embedder=embedder, cache=cache)
    other = Embedder(model=embedder.model_path, model_id="test/other-model@1")
    result = embed(TEXTS, embedder=other, cache=cache)
    assert (result.encoded, result.cache_hits, result.written) == (len(TEXTS), 0, len(TEXTS))
    assert result.model_id == "test/other-model@1"
    assert cache.counts() == {embedder.model_id: len(TEXTS), "test/other-model@1": len(TEXTS)}
    # each model finds its own rows only
    keys = [cache_key(embedder.model_id, t) for t in TEXTS]
    assert cache.get(keys, model_id="test/other-model@1") == {}
    assert embed(TEXTS, embedder=embedder, cache=cache).cache_hits == len(TEXTS)


def test_embed_cache_survives_reopening_the_folder(embedder, tmp_path):
    path = tmp_path / "store" / "embeddings"
    first = embed(TEXTS, embedder=embedder, cache=EmbeddingCache(path))
    reopened = embed(TEXTS[::-1], embedder=Embedder(), cache=EmbeddingCache(path))
    assert (reopened.encoded, reopened.cache_hits) == (0, len(TEXTS))
    assert np.array_equal(reopened.vectors, first.vectors[::-1])


def test_embed_fully_cached_run_does_not_load_the_model(embedder, cache):
    embed(TEXTS, embedder=embedder, cache=cache)
    fresh = Embedder()
    result = embed(TEXTS, embedder=fresh, cache=cache)
    assert result.cache_hits == len(TEXTS)
    assert not fresh.is_loaded


def test_embed_order_preserved_with_duplicates(embedder, cache):
    a, b, c = TEXTS[3], TEXTS[4], TEXTS[5]
    texts = [b, a, b, c, a, a]
    reference = dict(zip([a, b, c], embedder.encode([a, b, c]), strict=True))
    for _ in range(2):  # cold, then from the cache
        vectors = embed_texts(texts, embedder=embedder, cache=cache)
        for text, vector in zip(texts, vectors, strict=True):
            np.testing.assert_allclose(vector, reference[text], atol=1e-5)


def test_embed_cache_keeps_one_row_per_key(embedder, cache):
    keys = [cache_key(embedder.model_id, t) for t in TEXTS[:3]]
    vectors = embedder.encode(TEXTS[:3])
    assert cache.put([*keys, keys[0]], np.vstack([vectors, vectors[:1]]), model_id="m") == 3
    version = DeltaTable(str(cache.path)).version()
    assert cache.put(keys, vectors, model_id="m") == 0
    assert DeltaTable(str(cache.path)).version() == version
    assert cache.put(keys[:1], vectors[:1], model_id="n") == 1  # another model's row
    assert len(cache) == 4


def test_embed_cache_table_is_plain_typed_and_holds_no_text(embedder, cache):
    embed(TEXTS, embedder=embedder, cache=cache)
    embed(["One more text for a second file."], embedder=embedder, cache=cache)
    cache.compact()
    dataset = DeltaTable(str(cache.path)).to_pyarrow_dataset()
    assert dataset.schema.names == CACHE_SCHEMA.names
    assert dataset.schema.field("key").type == pa.string()  # not string_view (pyarrow filters)
    assert dataset.schema.field("vector").type == pa.list_(pa.float32())
    assert len(DeltaTable(str(cache.path)).file_uris()) == 1
    rows = dataset.to_table().to_pylist()
    assert {r["dim"] for r in rows} == {384}
    assert all(re.fullmatch(r"[0-9a-f]{64}", r["key"]) for r in rows)
    assert not {t for t in TEXTS} & {str(v) for r in rows for v in r.values()}
    assert embed(TEXTS, embedder=embedder, cache=cache).cache_hits == len(TEXTS)


def test_embed_model_id_is_stable_and_names_the_model(embedder):
    assert re.fullmatch(r"sentence-transformers/all-MiniLM-L6-v2@[0-9a-f]{12}", embedder.model_id)
    assert Embedder().model_id == embedder.model_id
    assert Embedder(model=embedder.model_path).model_id == embedder.model_id
    assert Embedder(model_id="mine@2").model_id == "mine@2"


def _linked_copy(source: Path, copy: Path) -> Path:
    """A model folder of symlinks to ``source``'s files (edit one by replacing its link)."""
    for path in source.rglob("*"):
        if path.is_file():
            target = copy / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(path)
    return copy


def _replace(path: Path, text: str) -> None:
    path.unlink()
    path.write_text(text)


def test_embed_model_id_follows_the_model_files(embedder, tmp_path):
    source = embedder.model_path
    copy = _linked_copy(source, tmp_path / "my-model")
    assert model_files_hash(copy) == model_files_hash(source)
    _replace(copy / "README.md", "edited model card")  # documentation: same model
    assert model_files_hash(copy) == model_files_hash(source)
    config = json.loads((copy / "tokenizer_config.json").read_text())
    _replace(copy / "tokenizer_config.json", json.dumps({**config, "do_lower_case": False}))
    assert model_files_hash(copy) != model_files_hash(source)
    assert Embedder(model=copy).model_id == f"my-model@{model_files_hash(copy)[:12]}"


def test_embed_path_model_without_normalize_layer_is_normalised(embedder, tmp_path):
    copy = _linked_copy(embedder.model_path, tmp_path / "unnormalised")
    modules = json.loads((copy / "modules.json").read_text())
    plain = [m for m in modules if not m["type"].endswith("Normalize")]
    assert len(plain) == len(modules) - 1
    _replace(copy / "modules.json", json.dumps(plain))
    other = Embedder(model=copy)
    vectors = other.encode(TEXTS[:3])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(vectors, embedder.encode(TEXTS[:3]), atol=1e-5)
    assert other.model_id != embedder.model_id


@pytest.mark.parametrize("model", ["bert-base-uncased", "sentence-transformers/all-mpnet-base-v2"])
def test_embed_unknown_model_is_refused_not_downloaded(model):
    with pytest.raises(ConfigError, match=r"Unknown embedding model .* never downloaded"):
        Embedder(model=model).encode(["text"])


def test_embed_rejects_missing_texts(embedder):
    with pytest.raises(TypeError, match=r"texts\[1\] is NoneType"):
        embed_texts(["fine", None], embedder=embedder)
    with pytest.raises(TypeError, match="not one string"):
        embed_texts("a single string", embedder=embedder)


def test_embed_empty_input_gives_an_empty_matrix(embedder, cache):
    result = embed([], embedder=embedder, cache=cache)
    assert result.vectors.shape == (0, 384) and result.vectors.dtype == np.float32
    assert result.written == 0 and not cache.path.exists()


def test_embed_weird_text_is_embedded_and_cached(embedder, cache):
    lines = (FIXTURES / "weird_text.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["body"] for line in lines] + ["lone \ud800 surrogate", "", "  "]
    first = embed(texts, embedder=embedder, cache=cache)
    assert np.isfinite(first.vectors).all()
    np.testing.assert_allclose(np.linalg.norm(first.vectors, axis=1), 1.0, atol=1e-5)
    second = embed(texts, embedder=embedder, cache=cache)
    assert second.encoded == 0 and np.array_equal(second.vectors, first.vectors)


def test_embed_cache_refuses_a_folder_that_is_not_a_table(tmp_path):
    folder = tmp_path / "not-a-table"
    folder.mkdir()
    (folder / "notes.txt").write_text("hello")
    with pytest.raises(StoreError, match="is not a Delta table"):
        EmbeddingCache(folder).get(["k"], model_id="m")
    shutil.rmtree(folder)
    assert EmbeddingCache(folder).get(["k"], model_id="m") == {}


def test_embed_cache_tolerates_a_key_written_twice(embedder, cache):
    # two processes appending at once can both write a key; readers must still get one vector
    first = embed(TEXTS[:2], embedder=embedder, cache=cache)
    rows = DeltaTable(str(cache.path)).to_pyarrow_dataset().to_table()
    write_deltalake(str(cache.path), rows.slice(0, 1), mode="append")
    assert len(cache) == 3
    again = embed(TEXTS[:2], embedder=embedder, cache=cache)
    assert (again.encoded, again.cache_hits) == (0, 2)
    assert np.array_equal(again.vectors, first.vectors)


def test_a_texts_vector_does_not_depend_on_the_texts_encoded_with_it(embedder):
    """Chunks of the local engine and batches of Ray workers hold different texts; each text
    must still get the same bits, or labels and themes would differ between engines."""
    rng = np.random.default_rng(0)
    words = [
        "sso",
        "export",
        "failed",
        "pricing",
        "page",
        "invoice",
        "team",
        "onboarding",
        "slow",
        "dashboard",
    ]
    texts = [" ".join(rng.choice(words, size=rng.integers(2, 30))) for _ in range(150)]
    texts += TEXTS
    together = embedder.encode(texts)
    order = rng.permutation(len(texts))
    apart = np.empty_like(together)
    start = 0
    for size in (1, 3, 70, 11, 200):  # uneven batches, mixed lengths
        rows = order[start : start + size]
        if len(rows):
            apart[rows] = embedder.encode([texts[i] for i in rows])
        start += size
    assert np.array_equal(together, apart)
    small = Embedder(batch_size=16)
    small._model = embedder.load()  # the same loaded model, other batch size
    assert np.array_equal(small.encode(texts), together)
