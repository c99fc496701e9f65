"""The understand stage: items into insight units that are safe to share, tagged and embedded.

* :mod:`.segment` (with :mod:`.segment_rules`) splits items into units;
* :mod:`.redact` (with :mod:`.redact_names`) replaces personal data with typed placeholders;
* :mod:`.entities` tags products, features and competitors from the taxonomy's gazetteer;
* :mod:`.analyze` runs the three, and the embedding, on a frame of items (no store);
* :mod:`.stage` is the stage's entry point, :func:`run_understand`, incremental on a store.
"""

from .analyze import (
    ALGORITHM,
    UnderstandResult,
    UnderstandStage,
    analyze_texts,
    map_entities,
    merge_spans,
    understand,
)
from .stage import UnderstandRunResult, run_understand

__all__ = [
    "ALGORITHM",
    "UnderstandResult",
    "UnderstandRunResult",
    "UnderstandStage",
    "analyze_texts",
    "map_entities",
    "merge_spans",
    "run_understand",
    "understand",
]
