"""Classifiers for theme, function, insight type and sentiment (see the classify stage)."""
