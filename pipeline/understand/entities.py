"""Entities: the products, features and competitors a unit talks about.

Two sources, one spaCy pipeline:

* the **gazetteer** of a taxonomy file (``gazetteer.products|features|competitors``, each with an
  ``id``, a ``name`` and ``synonyms`` that include the misspellings customers use), matched
  case-insensitively by a ``PhraseMatcher``; a gazetteer match always wins over NER;
* spaCy's **NER** for organisations the gazetteer does not know: ``ORG`` entities that are neither
  gazetteer names nor known accounts become ``candidate_competitor`` (a Sales call that mentions
  "Zylo" is worth a look even before anyone adds Zylo to the gazetteer). Roles, departments and
  abbreviations NER takes for organisations ("CFO", "VAT", "Customer Success": dictionary words
  and short acronyms only) are not candidates.

Examples:
    >>> gazetteer = silobridge.taxonomy.load_gazetteer("data/taxonomy.yaml")  # doctest: +SKIP
    >>> tagger = EntityTagger(gazetteer=gazetteer)  # doctest: +SKIP
    >>> tagger.tag(["We are also looking at Datawize, their dashbaord is faster"])  # doctest: +SKIP
    [[Entity(type='competitor', id='datawise', text='Datawize', start=23, end=31),
      Entity(type='feature', id='dashboards', text='dashbaord', start=39, end=48)]]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from spacy.matcher import PhraseMatcher
from spacy.util import filter_spans

from ...taxonomy import gazetteer_names
from ..nlp import MAX_NLP_CHARS, MODEL, in_pieces, load_pipeline
from .redact_names import lexicon

CANDIDATE = "candidate_competitor"
#: Changes whenever a change here can change the entities found; the understand stage redoes
#: units tagged by another version (a changed gazetteer changes the stage's version too).
ALGORITHM = "entities.gazetteer+ner.v1"


@dataclass(frozen=True)
class Entity:
    """One entity mention in a text.

    Attributes:
        type: ``product``, ``feature``, ``competitor`` or ``candidate_competitor``.
        id: The gazetteer id (for a candidate: its lower-cased text).
        text: The text as written.
        start: Character offset in the text.
        end: Character offset (exclusive).
    """

    type: str
    id: str
    text: str
    start: int
    end: int


class EntityTagger:
    """Tag gazetteer entities and candidate competitors in texts.

    Args:
        gazetteer: As returned by :func:`silobridge.taxonomy.load_gazetteer`.
        known_orgs: Organisation names that are not competitors (customer accounts, the
            company itself); NER ``ORG`` mentions of these are not candidates.
        nlp: A loaded spaCy pipeline with ``ner`` (default: the process's shared
            :func:`~silobridge.pipeline.nlp.load_pipeline`, also used for redaction, so a unit
            is parsed once). It is not modified: the gazetteer is a ``PhraseMatcher`` on its
            vocabulary.
        model: The installed spaCy package to use when ``nlp`` is not given.
        batch_size: Texts per ``nlp.pipe`` batch in :meth:`tag`.
    """

    def __init__(
        self,
        *,
        gazetteer: dict[str, list[dict[str, Any]]],
        known_orgs: Iterable[str] = (),
        nlp: Any = None,
        model: str = MODEL,
        batch_size: int = 256,
    ):
        self.gazetteer = gazetteer
        self.known_orgs = tuple(known_orgs)
        self.nlp = nlp
        self.model = model
        self.batch_size = batch_size
        self._nlp: Any = None

    @property
    def pipeline(self) -> Any:
        """The spaCy pipeline that parses texts for this tagger (built on first use)."""
        if self._nlp is None:
            nlp = self.nlp if self.nlp is not None else load_pipeline(self.model)
            matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
            self._ids: dict[str, tuple[str, str]] = {}
            for kind, entries in self.gazetteer.items():
                for entry in entries:
                    label = f"{kind}:{entry['id']}"
                    self._ids[label] = (kind, str(entry["id"]))
                    phrases = [str(entry["name"]), *(entry.get("synonyms") or [])]
                    matcher.add(label, [nlp.make_doc(p) for p in phrases])
            self._matcher = matcher
            known = {n.lower() for n in gazetteer_names(self.gazetteer)}
            self._known = known | {o.lower() for o in self.known_orgs if o}
            self._words = lexicon(nlp)
            self._nlp = nlp
        return self._nlp

    def tag(self, texts: Sequence[str]) -> list[list[Entity]]:
        """The entities of each text, in text order.

        A text longer than :data:`~silobridge.pipeline.nlp.MAX_NLP_CHARS` is tagged in pieces
        (:func:`~silobridge.pipeline.nlp.pieces`).
        """
        nlp = self.pipeline
        flat, owners = in_pieces(list(texts), min(MAX_NLP_CHARS, nlp.max_length))
        found = [self.tag_doc(doc) for doc in nlp.pipe(flat, batch_size=self.batch_size)]
        if len(flat) == len(texts):
            return found
        return join_entities(texts, owners, found)

    def tag_doc(self, doc: Any) -> list[Entity]:
        """The entities of a text already parsed by :attr:`pipeline`, in text order.

        Gazetteer matches win over NER: where phrases overlap the longest is kept, and an NER
        organisation overlapping a gazetteer match is not a candidate.
        """
        self.pipeline  # noqa: B018 (builds the matcher)
        found = []
        covered: set[int] = set()
        for span in filter_spans(self._matcher(doc, as_spans=True)):
            kind, entity_id = self._ids[span.label_]
            found.append(Entity(kind, entity_id, span.text, span.start_char, span.end_char))
            covered.update(range(span.start, span.end))
        for ent in doc.ents:
            if ent.label_ != "ORG" or covered.intersection(range(ent.start, ent.end)):
                continue
            if self._is_candidate(ent):
                found.append(
                    Entity(CANDIDATE, ent.text.lower(), ent.text, ent.start_char, ent.end_char)
                )
        return sorted(found, key=lambda e: (e.start, e.end))

    def _is_candidate(self, ent: Any) -> bool:
        name = ent.text.strip().lower()
        if len(name) < 3 or name in self._known or "\n" in name:
            return False
        # ticket keys and numbers ("LUM-8915", "~10"): no word of three letters or more
        if not any(sum(c.isalpha() for c in t.text) >= 3 and t.is_alpha for t in ent):
            return False
        # "Lumora Support", "the Datawise team": a known name inside is not a new organisation
        if any(k in name for k in self._known if len(k) > 3):
            return False
        # Roles, departments and abbreviations NER reads as organisations ("CFO", "VAT",
        # "Customer Success", "Marketing"): every word a dictionary word or a short acronym.
        words = [t for t in ent if not t.is_punct]
        return not all(
            (t.text.isupper() and len(t.text) <= 4) or t.lower_ in self._words for t in words
        )


def join_entities(
    texts: Sequence[str], owners: Sequence[tuple[int, int]], found: Sequence[list[Entity]]
) -> list[list[Entity]]:
    """The entities of pieces of ``texts`` (as :func:`~silobridge.pipeline.nlp.in_pieces`
    cuts them: ``owners`` holds each piece's text and offset), at their texts' offsets."""
    out: list[list[Entity]] = [[] for _ in texts]
    for (i, offset), ents in zip(owners, found, strict=True):
        out[i].extend(Entity(e.type, e.id, e.text, e.start + offset, e.end + offset) for e in ents)
    return out
