"""The store: Delta tables and run manifests in one folder (:mod:`.store`, :mod:`.writer`), the
tables' schemas (:mod:`.schema`), the embedding cache (:mod:`.cache`) and the labels file
(:mod:`.labels`). These modules are the only writers of a store's folder.
"""

from .store import MARKER, Store, new_run_id
from .writer import Manifest, StoreWriter, write_json_atomic

__all__ = ["MARKER", "Manifest", "Store", "StoreWriter", "new_run_id", "write_json_atomic"]
