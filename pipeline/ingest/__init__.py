"""The ingest stage: run the configured connectors and land their records in the store.

:mod:`.source` reads one source (its connector, each record into an ``items`` row, a
quarantine row or a count); :func:`run_ingest` (:mod:`.stage`) is the stage's entry point.
"""

from .source import SourceCounts, item_id
from .stage import IngestResult, plan_ingest, run_ingest

__all__ = ["IngestResult", "SourceCounts", "item_id", "plan_ingest", "run_ingest"]
