"""Embedding classifiers: the scikit-learn contract, zero- and few-shot, calibration, seeds."""

from __future__ import annotations

import numpy as np
import pytest
from silobridge.classifiers.embedding import (
    UNLABELLED,
    FewShotClassifier,
    PrototypeClassifier,
    SelfTrainedClassifier,
)
from silobridge.classifiers.metrics import expected_calibration_error
from silobridge.pipeline.evaluate import build_classifier, draw_shots, label_prompts
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

TRAIN = {
    "billing": [
        "We were charged twice this month.",
        "The invoice has the wrong VAT number.",
        "Our card payment failed again.",
        "Why did the price on the invoice go up?",
    ],
    "login": [
        "SSO login fails with an invalid assertion.",
        "I cannot sign in since the password reset.",
        "Okta redirects me in a loop.",
        "Two-factor codes are never accepted.",
    ],
    "export": [
        "The CSV export times out.",
        "Exported files are empty.",
        "Download to Excel is corrupted.",
        "Exports never finish for big accounts.",
    ],
}
TEST = [
    ("Please refund the double charge on our invoice.", "billing"),
    ("SAML sign-in is broken for all users.", "login"),
    ("The export to CSV gives an empty file.", "export"),
]


@pytest.fixture(scope="module")
def vectors(embedder):
    texts = [t for rows in TRAIN.values() for t in rows] + [t for t, _ in TEST]
    return dict(zip(texts, embedder.encode(texts), strict=True))


def _xy(vectors):
    X = np.stack([vectors[t] for rows in TRAIN.values() for t in rows])
    y = np.array([label for label, rows in TRAIN.items() for _ in rows])
    return X, y


@pytest.mark.parametrize(
    "estimator",
    [PrototypeClassifier(), FewShotClassifier(cv=2), SelfTrainedClassifier(rounds=0)],
)
def test_estimators_follow_the_sklearn_contract(estimator, vectors):
    params = estimator.get_params()
    copy = clone(estimator)
    assert copy.get_params() == params
    with pytest.raises(NotFittedError):
        copy.predict(np.zeros((1, 384), dtype=np.float32))
    X, y = _xy(vectors)
    fitted = copy.fit(X, y)
    assert fitted is copy and list(copy.classes_) == ["billing", "export", "login"]
    proba = copy.predict_proba(np.stack([vectors[t] for t, _ in TEST]))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert list(copy.predict(np.stack([vectors[t] for t, _ in TEST]))) == [y for _, y in TEST]
    assert estimator.get_params() == params  # fit does not touch the original


def test_few_shot_same_seed_same_probabilities(vectors):
    X, y = _xy(vectors)
    test = np.stack([vectors[t] for t, _ in TEST])
    a = FewShotClassifier(cv=2, random_state=3).fit(X, y).predict_proba(test)
    b = FewShotClassifier(cv=2, random_state=3).fit(X, y).predict_proba(test)
    np.testing.assert_array_equal(a, b)


def test_zero_shot_from_descriptions_labels_unseen_texts(embedder):
    descriptions = {
        "billing": ["invoices, charges and payments"],
        "login": ["signing in, SSO and passwords"],
    }

    def embed(texts):
        return embedder.encode(list(texts))

    model, algorithm = build_classifier(embed, descriptions=descriptions)
    assert algorithm.startswith("zero_shot")
    predicted = model.predict(embed(["We got charged twice", "Okta sign-in fails"]))
    assert list(predicted) == ["billing", "login"]
    assert label_prompts({"card_arrival": ["when my card comes"]})[0] == [
        "card arrival",
        "when my card comes",
    ]


def test_draw_shots_is_seeded_and_per_label():
    labels = ["a"] * 10 + ["b"] * 3
    first = draw_shots(labels, 4, seed=1)
    assert list(first) == list(draw_shots(labels, 4, seed=1))
    assert list(first) != list(draw_shots(labels, 4, seed=2))
    picked = [labels[i] for i in first]
    assert picked.count("a") == 4 and picked.count("b") == 3


def test_expected_calibration_error_is_zero_when_confidence_matches_accuracy():
    confidence = np.array([0.8] * 10)
    correct = np.array([1] * 8 + [0] * 2)
    assert expected_calibration_error(confidence, correct) == pytest.approx(0.0)
    assert expected_calibration_error(np.array([0.9, 0.9]), np.array([0, 0])) == pytest.approx(0.9)


def test_self_training_uses_unlabelled_rows_and_needs_some_labels(vectors):
    X, y = _xy(vectors)
    # one labelled example per class, the rest unlabelled
    first = [list(y).index(label) for label in ("billing", "export", "login")]
    y_semi = np.array([label if i in first else UNLABELLED for i, label in enumerate(y)])
    model = SelfTrainedClassifier(seed="prototype", rounds=2, per_class=2).fit(X, y_semi)
    test = np.stack([vectors[t] for t, _ in TEST])
    assert list(model.predict(test)) == [label for _, label in TEST]
    with pytest.raises(ValueError, match="needs labelled rows"):
        SelfTrainedClassifier().fit(X, np.full(len(y), UNLABELLED))
