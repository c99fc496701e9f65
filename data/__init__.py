"""Bundled data: the sample exports (data/sample/) and, later, the default taxonomy."""
