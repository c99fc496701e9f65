"""The discover stage: themes nobody put in the taxonomy, with ids that stay put across runs.

It looks at the units the classify stage left *unassigned* when a taxonomy is configured, at
every unit when none is; only at what customers said (not the company's own turns in tickets,
calls and chats, nor form prompts: :func:`~..voice.customer_voice`). The store keeps a theme
registry (``themes``): every discovered theme ever, with its label, top terms, representative
units, centroid and status, so that:

* a **nightly run** (the default) keeps each unit's theme, assigns new units to the nearest
  theme they fall inside (its radius), and clusters only what is left; new clusters whose
  centroid matches an existing theme join it, the others become new themes;
* a **rebuild** (``--rebuild``, the first run, or a new embedding model) clusters everything
  again, then matches the new clusters to the registry's themes by centroid similarity (an
  optimal one-to-one assignment above ``match_threshold``) and then by shared units, so a theme
  keeps its id; an old theme whose units went into another theme is recorded as *merged* into
  it, a new cluster made of units of a theme that lives on is recorded as *split* from it;
* ids (``D0001``...) are never reused: retired and merged themes stay in the registry.

What happened is in ``theme_events`` (created, merged, split, retired...), and each unit's theme
in ``discovered``.
"""

from .labels import LABEL_CANDIDATES, Themes, centroid_scores, describe, describe_groups
from .stage import (
    ACTIVE,
    DiscoverResult,
    DiscoverStage,
    append_events,
    candidates,
    match_centroids,
    run_discover,
)

__all__ = [
    "ACTIVE",
    "LABEL_CANDIDATES",
    "DiscoverResult",
    "DiscoverStage",
    "Themes",
    "append_events",
    "candidates",
    "centroid_scores",
    "describe",
    "describe_groups",
    "match_centroids",
    "run_discover",
]
