"""The theme clusterer and the theme descriptions (labels, terms, representatives)."""

from __future__ import annotations

import numpy as np
import pytest
from silobridge.classifiers.cluster import ThemeClusterer
from silobridge.classifiers.keyphrases import (
    candidate_terms,
    ctfidf_terms,
    distinct_labels,
    misspelt_words,
    names_account,
    representatives,
    surface_form,
    word_forms,
)
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import adjusted_rand_score


def blobs(k: int = 6, per: int = 40, seed: int = 0, noise: float = 0.05):
    """``k`` groups of unit vectors in 384 dimensions, each around its own direction."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(k, 384))
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    truth = np.repeat(np.arange(k), per)
    X = centers[truth] + rng.normal(scale=noise, size=(k * per, 384))
    return (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32), truth


def test_clusterer_follows_the_estimator_contract():
    model = ThemeClusterer(min_size=4, random_state=3)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert copy.get_params()["random_state"] == 3
    with pytest.raises(NotFittedError):
        model.predict(np.ones((2, 384), np.float32))


def test_clusterer_finds_the_groups_without_being_told_how_many():
    X, truth = blobs(k=6)
    model = ThemeClusterer().fit(X)
    assert len(model.cluster_centers_) == 6
    assert adjusted_rand_score(truth, model.labels_) == 1.0
    assert (model.labels_ >= 0).all()
    np.testing.assert_allclose(np.linalg.norm(model.cluster_centers_, axis=1), 1.0, rtol=1e-5)


def test_clusterer_same_seed_same_themes():
    X, _ = blobs(k=5, noise=0.2, seed=1)
    first = ThemeClusterer(random_state=7).fit(X).labels_
    second = ThemeClusterer(random_state=7).fit(X).labels_
    np.testing.assert_array_equal(first, second)


def test_predict_puts_new_units_in_their_theme_and_far_ones_nowhere():
    X, truth = blobs(k=4)
    model = ThemeClusterer().fit(X)
    near, _ = blobs(k=4, seed=0, per=2)  # same directions, new noise
    far = np.random.default_rng(9).normal(size=(3, 384)).astype(np.float32)
    predicted = model.predict(np.vstack([near, far]))
    expected = [model.labels_[truth == t][0] for t in np.repeat(np.arange(4), 2)]
    assert predicted[:8].tolist() == expected
    assert predicted[8:].tolist() == [-1, -1, -1]


def test_candidate_terms_skip_placeholders_digits_and_stop_word_edges():
    terms = candidate_terms("Hi <PERSON>, the SAML login fails for 30 users of the EU region")
    assert "saml login" in terms and "saml login fails" in terms
    assert not any("<" in t or "person" in t for t in terms)
    assert not any(t.split()[0] in {"the", "for", "of"} for t in terms)
    assert "30" not in terms


def test_ctfidf_terms_prefer_what_sets_a_cluster_apart():
    texts = [
        "data residency in the EU is a hard requirement",
        "legal asks about data residency for EU customers",
        "we need data residency in Frankfurt",
        "the competitor offered a discount of 40%",
        "they got a big discount from the competitor",
        "competitor discount is hurting the deal",
    ]
    labels = np.array([0, 0, 0, 1, 1, 1])
    terms = ctfidf_terms(texts, labels)
    assert terms[0][0][0] == "data residency"
    assert "discount" in {t for t, _ in terms[1][:3]} or "competitor discount" in {
        t for t, _ in terms[1][:3]
    }
    names = distinct_labels(terms, {0: 3, 1: 3})
    assert names[0] == "data residency"
    assert len(set(names.values())) == 2


def test_distinct_labels_never_repeat_a_label():
    same = [("csv export", 1.0), ("export", 0.5), ("csv", 0.4)]
    names = distinct_labels({0: same, 1: same, 2: same}, {0: 10, 1: 5, 2: 1})
    assert names[0] == "csv export"
    assert len(set(names.values())) == 3


def test_misspellings_are_found_by_the_texts_and_the_language_not_a_list():
    texts = (
        ["Not sure who to ask about this export."] * 6
        + ["Not sure who to ask abot this export.", "not sure who to ask abotu this."]
        + ["The message was lost.", "Your message came late.", "One messgae only."]
        + ["We moved off Metricly last year.", "Metricly is cheaper.", "Metric exports work."]
        + ["The SAML setup is the same as before.", "Same SAML error, same page."]
    )
    forms = word_forms(texts)
    words = ["abot", "abotu", "messgae", "metricly", "saml", "export", "message"]
    found = misspelt_words(words, forms)
    assert found == {"abot": "about", "abotu": "about", "messgae": "message"}
    # a brand and an acronym are written with capitals: never "corrected"
    assert surface_form("saml setup", forms) == "SAML setup"
    assert surface_form("metricly", forms) == "Metricly"


def test_labels_never_name_an_account_repeat_a_plural_or_hold_a_misspelling():
    terms = {
        0: [("acme logistics", 3.0), ("acme", 2.5), ("csv exports", 2.0), ("export", 1.0)],
        1: [
            ("csv export", 2.0),
            ("urgent getitng", 1.9),
            ("export export", 1.8),
            ("timeouts", 1.5),
        ],
    }
    names = distinct_labels(
        terms, {0: 10, 1: 5}, exclude={"getitng": "getting"}, avoid=["acme logistics"]
    )
    assert names == {0: "csv exports", 1: "timeouts"}
    assert names_account("maplewood", ["maplewood homes"])
    assert not names_account("home page", ["maplewood homes"])
    # contractions never open or close a term
    assert "who'd" not in " ".join(candidate_terms("People who'd be using it daily."))


def test_representatives_are_central_and_not_duplicates():
    rng = np.random.default_rng(0)
    center = np.zeros(384, np.float32)
    center[0] = 1
    X = np.tile(center, (6, 1)) + rng.normal(scale=0.01, size=(6, 384)).astype(np.float32)
    texts = ["Same text.", "same   TEXT.", "Same text.", "Other one.", "Third.", "Fourth."]
    picked = representatives(X, texts, center, k=4)
    chosen = [" ".join(texts[i].lower().split()) for i in picked]
    assert len(picked) == 4
    assert len(set(chosen)) == 4
