"""Bundled data: the sample exports (data/sample/) and the taxonomy (data/taxonomy.yaml)."""
