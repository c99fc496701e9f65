"""Classifiers on sentence embeddings, with the scikit-learn estimator contract.

``X`` is a matrix of L2-normalised sentence embeddings (one row per text, e.g. from
:class:`silobridge.pipeline.embed.Embedder` or ``store.vectors(units)``); ``y`` holds labels.

* :class:`PrototypeClassifier`: cosine similarity to each class's prototype (the normalised
  mean of its examples' embeddings), turned into probabilities by a softmax with a temperature.
  Zero-shot when fitted on the embeddings of label names and descriptions.
* :class:`FewShotClassifier`: logistic regression on the embeddings of a few labelled examples,
  optionally with the labels' descriptions as extra examples, and temperature scaling fitted
  by cross-validation on the training examples alone, so its probabilities are calibrated.

Both have ``fit``, ``predict``, ``predict_proba``, ``decision_function``, ``classes_``,
``get_params``/``set_params`` and work with ``sklearn.base.clone``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted, validate_data


def _normalise(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float32)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.maximum(norms, 1e-12)


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    """Row-wise softmax of ``scores * temperature``."""
    z = scores * temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(scores: np.ndarray, y_index: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of the true classes."""

    def nll(log_t: float) -> float:
        p = softmax(scores, float(np.exp(log_t)))
        return float(-np.mean(np.log(p[np.arange(len(y_index)), y_index] + 1e-12)))

    result = minimize_scalar(nll, bounds=(-3.0, 6.0), method="bounded")
    return float(np.exp(result.x))


def _two_columns(scores: np.ndarray) -> np.ndarray:
    """Binary logistic regression gives one score per row; make it one per class."""
    if scores.ndim == 1:
        return np.column_stack([-scores / 2, scores / 2])
    return scores


def aligned_scores(model: Any, X: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """``model``'s decision scores for ``X``, one column per class of ``classes`` (a class the
    model never saw scores -1000)."""
    full = np.full((len(X), len(classes)), -1e3)
    full[:, np.searchsorted(classes, model.classes_)] = _two_columns(model.decision_function(X))
    return full


def cv_temperature(
    fit: Any, X: np.ndarray, y: np.ndarray, classes: np.ndarray, *, cv: int, random_state: int
) -> float:
    """The temperature of :func:`fit_temperature` on out-of-fold scores.

    Args:
        fit: ``fit(X_train, y_train)`` returns a fitted model with ``decision_function``.
        cv: Folds (fewer when a class has fewer rows; 1.0 when one has a single row).
    """
    folds = int(min(cv, np.unique(y, return_counts=True)[1].min()))
    if folds < 2:
        return 1.0
    scores = np.zeros((len(y), len(classes)))
    split = StratifiedKFold(folds, shuffle=True, random_state=random_state)
    for train, test in split.split(X, y):
        scores[test] = aligned_scores(fit(X[train], y[train]), X[test], classes)
    return fit_temperature(scores, np.searchsorted(classes, y))


class PrototypeClassifier(ClassifierMixin, BaseEstimator):
    """Nearest class prototype by cosine similarity.

    Args:
        temperature: Softmax temperature turning cosine similarities into probabilities.
            Cosines of MiniLM embeddings differ by a few hundredths between close classes, so
            the useful range is 10-100.
    """

    def __init__(self, *, temperature: float = 30.0):
        self.temperature = temperature

    def fit(self, X: Any, y: Any) -> PrototypeClassifier:
        X, y = validate_data(self, X, y, dtype=np.float32)
        self.classes_ = np.unique(y)
        X = _normalise(X)
        prototypes = np.stack([X[y == c].mean(axis=0) for c in self.classes_])
        self.prototypes_ = _normalise(prototypes)
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "prototypes_")
        X = validate_data(self, X, dtype=np.float32, reset=False)
        return _normalise(X) @ self.prototypes_.T

    def predict_proba(self, X: Any) -> np.ndarray:
        return softmax(self.decision_function(X), float(self.temperature))

    def predict(self, X: Any) -> np.ndarray:
        scores = self.decision_function(X)  # raises NotFittedError first
        return self.classes_[np.argmax(scores, axis=1)]


class FewShotClassifier(ClassifierMixin, BaseEstimator):
    """Logistic regression on embeddings, calibrated by temperature scaling.

    Args:
        C: Inverse regularisation strength of the logistic regression.
        prior_X: Embeddings of label descriptions (or names) added to the training examples.
        prior_y: Their labels.
        calibrate: Fit a temperature on out-of-fold scores of the training examples (each
            class needs two examples); otherwise the regression's own probabilities.
        cv: Folds for the calibration.
        random_state: Seed of the fold split.
    """

    def __init__(
        self,
        *,
        C: float = 10.0,
        prior_X: Any = None,
        prior_y: Any = None,
        calibrate: bool = True,
        cv: int = 4,
        random_state: int = 0,
    ):
        self.C = C
        self.prior_X = prior_X
        self.prior_y = prior_y
        self.calibrate = calibrate
        self.cv = cv
        self.random_state = random_state

    def _model(self) -> Any:
        return LogisticRegression(C=self.C, max_iter=2000)

    def _with_prior(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.prior_X is None:
            return X, y
        prior_X = _normalise(np.asarray(self.prior_X))
        return np.vstack([X, prior_X]), np.concatenate([y, np.asarray(self.prior_y)])

    def fit(self, X: Any, y: Any) -> FewShotClassifier:
        X, y = validate_data(self, X, y, dtype=np.float32)
        X = _normalise(X)
        X_all, y_all = self._with_prior(X, np.asarray(y))
        self.model_ = self._model().fit(X_all, y_all)
        self.classes_ = self.model_.classes_
        self.temperature_ = 1.0
        if self.calibrate:
            self.temperature_ = self._fit_temperature(X, np.asarray(y))
        return self

    def _fit_temperature(self, X: np.ndarray, y: np.ndarray) -> float:
        def fit(X_fold: np.ndarray, y_fold: np.ndarray) -> Any:
            return self._model().fit(*self._with_prior(X_fold, y_fold))

        return cv_temperature(fit, X, y, self.classes_, cv=self.cv, random_state=self.random_state)

    def decision_function(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        X = validate_data(self, X, dtype=np.float32, reset=False)
        return _two_columns(np.asarray(self.model_.decision_function(_normalise(X))))

    def predict_proba(self, X: Any) -> np.ndarray:
        return softmax(self.decision_function(X), self.temperature_)

    def predict(self, X: Any) -> np.ndarray:
        scores = self.decision_function(X)  # raises NotFittedError first
        return self.classes_[np.argmax(scores, axis=1)]


#: The label of unlabelled rows given to :class:`SelfTrainedClassifier` (sklearn's convention
#: for string labels in semi-supervised learning is a sentinel; this is it).
UNLABELLED = ""


class SelfTrainedClassifier(ClassifierMixin, BaseEstimator):
    """Logistic regression refined by self-training on unlabelled embeddings.

    ``fit(X, y)`` takes labelled rows (label names and descriptions for zero-shot, a few
    examples per label for few-shot) and unlabelled rows (``y == ""``: the texts to label, or
    any texts of the same kind). Then:

    1. embeddings are centred on the mean of the unlabelled rows and re-normalised (what every
       text shares says nothing about its class);
    2. a first model scores the unlabelled rows: cosine to the labels' prototypes when
       ``seed="prototype"`` (zero-shot), a logistic regression on the labelled rows when
       ``seed="logreg"`` (few-shot);
    3. for ``rounds`` rounds, the ``per_class * round`` unlabelled rows of each class with the
       widest margin between their two best classes are taken as pseudo-labelled examples, and
       a class-balanced logistic regression is fitted on them and the labelled rows.

    Args:
        C: Inverse regularisation of the logistic regressions.
        seed: ``"prototype"`` or ``"logreg"``, the first model.
        rounds: Self-training rounds (0: the first model alone, then a regression on the
            labelled rows for ``"prototype"``).
        per_class: Pseudo-labelled rows per class added in the first round (and each round).
        center: Centre the embeddings on the unlabelled rows' mean.
        temperature: Softmax temperature of :meth:`predict_proba` over the decision function;
            ``None`` fits it by cross-validation on the labelled rows (each class needs two).
        random_state: Seed of the cross-validation split.
    """

    def __init__(
        self,
        *,
        C: float = 10.0,
        seed: str = "logreg",
        rounds: int = 3,
        per_class: int = 20,
        center: bool = True,
        temperature: float | None = None,
        random_state: int = 0,
    ):
        self.C = C
        self.seed = seed
        self.rounds = rounds
        self.per_class = per_class
        self.center = center
        self.temperature = temperature
        self.random_state = random_state

    def _lr(self) -> Any:
        return LogisticRegression(C=self.C, max_iter=2000, class_weight="balanced")

    def _prepare(self, X: np.ndarray) -> np.ndarray:
        return _normalise(_normalise(X) - self.center_)

    def fit(self, X: Any, y: Any) -> SelfTrainedClassifier:
        X, y = validate_data(self, X, y, dtype=np.float32)
        y = np.asarray(y).astype(str)
        labelled = y != UNLABELLED
        if not labelled.any():
            raise ValueError("SelfTrainedClassifier needs labelled rows (y != '').")
        if self.seed not in ("prototype", "logreg"):
            raise ValueError(f"seed must be 'prototype' or 'logreg'; got {self.seed!r}.")
        X = _normalise(X)
        unlabelled = X[~labelled]
        self.center_ = (
            unlabelled.mean(axis=0) if self.center and len(unlabelled) else np.zeros(X.shape[1])
        )
        XL, yL = self._prepare(X[labelled]), y[labelled]
        U = self._prepare(unlabelled)
        self.classes_ = np.unique(yL)
        if self.seed == "prototype":
            protos = _normalise(np.stack([XL[yL == c].mean(axis=0) for c in self.classes_]))
            scores = U @ protos.T
            model = None
        else:
            model = self._lr().fit(XL, yL)
            scores = _two_columns(model.decision_function(U)) if len(U) else np.zeros((0, 0))
        for r in range(self.rounds if len(U) else 0):
            pred = scores.argmax(axis=1)
            top2 = np.sort(scores, axis=1)[:, -2:]
            margin = top2[:, 1] - top2[:, 0]
            take: list[np.ndarray] = []
            for c in range(len(self.classes_)):
                rows = np.flatnonzero(pred == c)
                take.append(
                    rows[np.argsort(-margin[rows], kind="stable")][: self.per_class * (r + 1)]
                )
            picked = np.concatenate(take).astype(np.int64)
            model = self._lr().fit(
                np.vstack([XL, U[picked]]), np.concatenate([yL, self.classes_[pred[picked]]])
            )
            scores = aligned_scores(model, U, self.classes_)
        if model is None:
            model = self._lr().fit(XL, yL)
        self.model_ = model
        self.temperature_ = (
            float(self.temperature)
            if self.temperature is not None
            else self._fit_temperature(XL, yL)
        )
        return self

    def _fit_temperature(self, X: np.ndarray, y: np.ndarray) -> float:
        return cv_temperature(
            lambda X_fold, y_fold: self._lr().fit(X_fold, y_fold),
            X,
            y,
            self.classes_,
            cv=4,
            random_state=self.random_state,
        )

    def decision_function(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        X = validate_data(self, X, dtype=np.float32, reset=False)
        return aligned_scores(self.model_, self._prepare(X), self.classes_)

    def predict_proba(self, X: Any) -> np.ndarray:
        return softmax(self.decision_function(X), self.temperature_)

    def predict(self, X: Any) -> np.ndarray:
        scores = self.decision_function(X)
        return self.classes_[np.argmax(scores, axis=1)]
