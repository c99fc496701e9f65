"""The labelled sets of ``../shared/eval``, loaded one way for every benchmark.

Two views:

* :data:`SETS` / :func:`load_set`: the **single-label clustering sets** (discovery and label
  benchmarks): texts and one gold class each, a seeded sample of at most ``cap``.
* :data:`CLASSIFY` / :func:`load_classify`: the **classification sets**, single- and
  multi-label, each split in a *train* part (where few-shot examples are drawn) and a *test*
  part (scored): the released split where the data has one, otherwise a stable hash of the text
  (so a text never lands on both sides).

Label names become words with :func:`class_name` (``card_arrival`` -> "card arrival"): the
zero-shot classifiers know the labels by these names only.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass
class EvalSet:
    """One labelled set: texts, their gold class, where they came from."""

    name: str
    texts: list[str]
    labels: list[str]
    source: str


# ------------------------------------------------------------------------------ the data


def _frame(texts: pd.Series, labels: pd.Series) -> tuple[list[str], list[str]]:
    """Texts and labels as strings, rows with an empty text or label dropped."""
    keep = (texts.notna() & labels.notna()).to_numpy()
    df = pd.DataFrame({"text": texts[keep].astype(str).str.strip(), "label": labels[keep]})
    df = df[df["text"].ne("")]
    return df["text"].tolist(), df["label"].astype(str).tolist()


def _banking77(eval_dir: Path) -> tuple[list[str], list[str]]:
    df = pd.read_csv(eval_dir / "banking77" / "test.csv")
    return _frame(df["text"], df["category"])


def _clinc150(eval_dir: Path) -> tuple[list[str], list[str]]:
    df = pd.read_csv(eval_dir / "clinc150" / "clinc150_full.csv")
    df = df[(df["split"] == "test") & (df["intent"] != "oos")]
    return _frame(df["text"], df["intent"])


def _bitext(eval_dir: Path) -> tuple[list[str], list[str]]:
    folder = eval_dir / "bitext_customer_support"
    df = pd.concat(
        [pd.read_csv(folder / f) for f in ("train.csv", "validation.csv", "test.csv")],
        ignore_index=True,
    )
    return _frame(df["utterance"], df["intent"])


def _it_tickets(eval_dir: Path) -> tuple[list[str], list[str]]:
    df = pd.read_csv(eval_dir / "it_service_tickets" / "all_tickets_processed_improved_v3.csv")
    return _frame(df["Document"], df["Topic_group"])


def _dstc11(domain: str) -> Callable[[Path], tuple[list[str], list[str]]]:
    def load(eval_dir: Path) -> tuple[list[str], list[str]]:
        df = pd.read_csv(eval_dir / "dstc11_intent_induction" / "dstc11_intents.csv")
        df = df[df["domain"] == domain]
        return _frame(df["text"], df["label"])

    return load


def _cfpb(column: str) -> Callable[[Path], tuple[list[str], list[str]]]:
    def load(eval_dir: Path) -> tuple[list[str], list[str]]:
        df = pd.read_csv(eval_dir / "cfpb_complaints_sample" / "cfpb_narratives.csv")
        return _frame(df["text"], df[column])

    return load


def _star(eval_dir: Path) -> tuple[list[str], list[str]]:
    folder = eval_dir / "star_dialogues"
    dialogues = pd.read_csv(folder / "star_conversations.csv")
    single = dialogues[(dialogues["multitask"] == 0) & dialogues["label"].notna()]
    turns = pd.read_csv(folder / "star_turns.csv", usecols=["conversation_id", "speaker", "text"])
    user = turns[(turns["speaker"] == "user") & turns["text"].notna()]
    joined = user.groupby("conversation_id", sort=True)["text"].agg(
        lambda t: " ".join(s.strip() for s in t)
    )
    single = single.set_index("conversation_id").join(joined.rename("text"), how="inner")
    return _frame(single["text"], single["label"])


#: ``{set name: (loader, description)}``, in the order of the table.
SETS: dict[str, tuple[Callable[[Path], tuple[list[str], list[str]]], str]] = {
    "banking77": (_banking77, "banking77/test.csv, category"),
    "clinc150": (_clinc150, "clinc150_full.csv, split test, intent != oos"),
    "bitext": (_bitext, "bitext_customer_support train+validation+test, intent"),
    "it_tickets": (_it_tickets, "it_service_tickets, Document / Topic_group"),
    "dstc11_insurance": (_dstc11("insurance"), "dstc11_intents.csv, domain insurance"),
    "dstc11_banking": (_dstc11("banking"), "dstc11_intents.csv, domain banking"),
    "dstc11_finance": (_dstc11("finance"), "dstc11_intents.csv, domain finance"),
    "cfpb_product": (_cfpb("product"), "cfpb_narratives.csv, product"),
    "cfpb_issue": (_cfpb("issue"), "cfpb_narratives.csv, issue"),
    "star": (_star, "star_dialogues single-task dialogues, user turns joined, task"),
}


def load_set(name: str, eval_dir: Path, *, cap: int, seed: int) -> EvalSet:
    """Set ``name``, a seeded random sample of at most ``cap`` texts (in their file order)."""
    loader, source = SETS[name]
    texts, labels = loader(eval_dir)
    if len(texts) > cap:
        rows = np.sort(np.random.default_rng(seed).choice(len(texts), size=cap, replace=False))
        texts, labels = [texts[i] for i in rows], [labels[i] for i in rows]
    return EvalSet(name, texts, labels, source)


def class_name(label: str) -> str:
    """A class id as lower-case words: ``card_arrival`` -> "card arrival", ``GetQuote`` ->
    "get quote"."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", label)
    return " ".join(spaced.replace("_", " ").replace("-", " ").split()).lower()


# ------------------------------------------------------------------------ classification


@dataclass
class ClassifySet:
    """A classification set: train and test texts with their labels (a tuple per text; one
    label for single-label sets)."""

    name: str
    train_texts: list[str]
    train_labels: list[tuple[str, ...]]
    test_texts: list[str]
    test_labels: list[tuple[str, ...]]
    source: str
    multi_label: bool = False
    kind: str = ""
    labels: list[str] = field(default_factory=list)


def _hash_train(texts: pd.Series) -> np.ndarray:
    """A stable half of the rows, by a hash of the text: True for train."""
    return np.array(
        [hashlib.sha1(t.encode("utf-8")).digest()[0] % 2 == 0 for t in texts], dtype=bool
    )


def _rows(df: pd.DataFrame, text: str, label: str, *, sep: str | None = None) -> pd.DataFrame:
    """``text``/``labels`` (a tuple per row), empty texts and rows without a label dropped."""
    df = df[df[text].notna() & df[label].notna()].copy()
    df["text"] = df[text].astype(str).str.strip()
    df = df[df["text"].ne("")]
    raw = df[label].astype(str)
    df["labels"] = [
        tuple(sorted({p.strip() for p in v.split(sep) if p.strip()})) if sep else (v,) for v in raw
    ]
    return df[df["labels"].map(len) > 0]


def _c_banking77(e: Path) -> pd.DataFrame:
    frames = [pd.read_csv(e / "banking77" / f"{s}.csv").assign(split=s) for s in ("train", "test")]
    return _rows(pd.concat(frames), "text", "category")


def _c_clinc150(e: Path) -> pd.DataFrame:
    df = pd.read_csv(e / "clinc150" / "clinc150_full.csv")
    df = df[df["split"].isin(["train", "test"]) & (df["intent"] != "oos")]
    return _rows(df, "text", "intent")


def _c_bitext(e: Path) -> pd.DataFrame:
    folder = e / "bitext_customer_support"
    frames = [
        pd.read_csv(folder / "train.csv").assign(split="train"),
        pd.read_csv(folder / "test.csv").assign(split="test"),
    ]
    return _rows(pd.concat(frames), "utterance", "intent")


def _c_plain(
    loader: Callable[[Path], tuple[list[str], list[str]]],
) -> Callable[[Path], pd.DataFrame]:
    def load(e: Path) -> pd.DataFrame:
        texts, labels = loader(e)
        return _rows(pd.DataFrame({"t": texts, "l": labels}), "t", "l")

    return load


def _c_app_reviews(e: Path) -> pd.DataFrame:
    df = pd.read_csv(e / "app_reviews_maalej" / "app_reviews_maalej_multilabel.csv")
    df["full"] = df["title"].fillna("").astype(str) + ". " + df["comment"].fillna("").astype(str)
    df["full"] = df["full"].str.strip(". ")
    return _rows(df, "full", "labels", sep="|")


def _c_mams(e: Path) -> pd.DataFrame:
    df = pd.read_csv(e / "mams_acsa" / "mams_acsa.csv")
    df = df[df["split"].isin(["train", "test"])]
    return _rows(df, "text", "labels", sep="|")


def _c_nlupp(e: Path) -> pd.DataFrame:
    df = pd.read_csv(e / "nlupp" / "nlupp.csv")
    # the released 20-fold setup trains on fold 0 of each domain; the rest is test
    df["split"] = np.where(df["fold"] == 0, "train", "test")
    return _rows(df, "text", "intents", sep="|")


#: ``{name: (loader, source, kind of text, multi-label)}``: every labelled set with classes.
CLASSIFY: dict[str, tuple[Callable[[Path], pd.DataFrame], str, str, bool]] = {
    "banking77": (_c_banking77, "banking77 train / test, category", "short query", False),
    "clinc150": (_c_clinc150, "clinc150 train / test, in scope", "short query", False),
    "bitext": (_c_bitext, "bitext train / test, intent", "short query", False),
    "it_tickets": (_c_plain(_it_tickets), "it_service_tickets, Topic_group", "ticket", False),
    "dstc11_insurance": (_c_plain(_dstc11("insurance")), "dstc11 insurance", "turn", False),
    "dstc11_banking": (_c_plain(_dstc11("banking")), "dstc11 banking", "turn", False),
    "dstc11_finance": (_c_plain(_dstc11("finance")), "dstc11 finance", "turn", False),
    "cfpb_product": (_c_plain(_cfpb("product")), "cfpb narratives, product", "long", False),
    "cfpb_issue": (_c_plain(_cfpb("issue")), "cfpb narratives, issue", "long", False),
    "star": (_c_plain(_star), "star single-task dialogues, user turns, task", "dialogue", False),
    "app_reviews": (_c_app_reviews, "app reviews (title. comment), labels", "review", True),
    "mams": (_c_mams, "mams_acsa train / test, aspects", "sentence", True),
    "nlupp": (_c_nlupp, "nlupp, fold 0 train / rest test, intents", "short query", True),
}


def load_classify(name: str, eval_dir: Path, *, cap: int = 3000, seed: int = 0) -> ClassifySet:
    """Classification set ``name``: train and test parts, the test part a seeded sample of at
    most ``cap`` texts. Labels with no train text are dropped from both sides."""
    loader, source, kind, multi = CLASSIFY[name]
    df = loader(eval_dir).reset_index(drop=True)
    train = (df["split"] == "train").to_numpy() if "split" in df else _hash_train(df["text"])
    tr, te = df[train], df[~train]
    known = {lab for labs in tr["labels"] for lab in labs}
    te = te[te["labels"].map(lambda labs: any(lab in known for lab in labs))]
    te_labels = [tuple(lab for lab in labs if lab in known) for labs in te["labels"]]
    te_texts = te["text"].tolist()
    if len(te_texts) > cap:
        rows = np.sort(np.random.default_rng(seed).choice(len(te_texts), size=cap, replace=False))
        te_texts = [te_texts[i] for i in rows]
        te_labels = [te_labels[i] for i in rows]
    return ClassifySet(
        name,
        tr["text"].tolist(),
        list(tr["labels"]),
        te_texts,
        te_labels,
        source,
        multi,
        kind,
        sorted(known),
    )
