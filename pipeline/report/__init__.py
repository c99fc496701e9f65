"""The report stage: who hears what, blind spots, trends and spikes, with quotes.

:mod:`.build` computes the tables, :mod:`.html` renders them for people, and :func:`run_report`
(:mod:`.stage`) is the stage's entry point.
"""

from .build import Report, ReportSettings, build_report, theme_label
from .stage import run_report, write_report

__all__ = ["Report", "ReportSettings", "build_report", "run_report", "theme_label", "write_report"]
