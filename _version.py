"""The package's version, kept equal to pyproject.toml's.

A module of its own, so that every layer can read it without importing the package's facade.
"""

__version__ = "0.1.0"
