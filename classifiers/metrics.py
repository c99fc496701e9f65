"""Classification metrics: accuracy, macro-F1, per-label F1, expected calibration error."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, precision_recall_fscore_support


def expected_calibration_error(
    confidence: np.ndarray, correct: np.ndarray, *, n_bins: int = 15
) -> float:
    """ECE: the mean gap between confidence and accuracy over equal-width confidence bins.

    Args:
        confidence: The reported confidence of each prediction (its probability), in [0, 1].
        correct: Whether each prediction was right.
        n_bins: Equal-width bins over [0, 1] (15, as in Guo et al., 2017).

    Returns:
        Sum over bins of (bin size / n) * |accuracy in bin - mean confidence in bin|.
    """
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=float)
    if confidence.size == 0:
        return 0.0
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        mask = bins == b
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(ece)


def classification_report(
    y_true: Sequence[Any], y_pred: Sequence[Any], confidence: np.ndarray | None = None
) -> dict[str, Any]:
    """Accuracy, macro-F1 over the true labels, per-label precision/recall/F1/support, ECE.

    Returns:
        ``{"n", "accuracy", "macro_f1", "ece", "per_label": {label: {...}}}``; ``ece`` is
        ``None`` without ``confidence``.
    """
    y_true = [str(y) for y in y_true]
    y_pred = [str(y) for y in y_pred]
    labels = sorted(set(y_true))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    correct = np.array([a == b for a, b in zip(y_true, y_pred, strict=True)])
    return {
        "n": len(y_true),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(float(np.mean(f)) if len(f) else 0.0, 4),
        "ece": None
        if confidence is None
        else round(expected_calibration_error(confidence, correct), 4),
        "per_label": {
            label: {
                "precision": round(float(p[i]), 4),
                "recall": round(float(r[i]), 4),
                "f1": round(float(f[i]), 4),
                "support": int(s[i]),
            }
            for i, label in enumerate(labels)
        },
    }
