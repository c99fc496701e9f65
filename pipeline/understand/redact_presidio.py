"""Redaction's Presidio configuration: the analyzer, its recognizers, and offline checks.

:func:`build_analyzer` makes an offline Presidio ``AnalyzerEngine`` on the shared spaCy pipeline
with the personal-data recognizers only; :class:`~.redact.Redactor` uses it (:mod:`.redact` says
what each recognizer finds). The recognizer classes subclass Presidio's and are built on first
use. :mod:`.redact` re-exports every public name here, the recognizer classes included.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from ..nlp import MODEL, load_pipeline
from .redact_names import find_persons
from .redact_words import allow_list_pattern, lexicon

LANGUAGE = "en"

#: Regions whose national formats are recognised ("020 7946 0018" needs GB, "(415) 555-0142"
#: US). Numbers written with a leading + are found whatever the list; each region costs a pass.
PHONE_REGIONS = ("US", "GB", "DE", "FR", "NL", "IE", "ES", "IT", "CA", "AU")
PHONE_CONTEXT = (
    "phone", "telephone", "tel", "mobile", "mob", "cell", "call", "number", "direct", "office",
    "whatsapp", "fax", "reach", "dial", "m", "t", "p",
)  # fmt: skip

#: Reserved (RFC 2606, RFC 6761) and private-use top-level domains.
RESERVED_TLDS = ("example", "test", "invalid", "localhost", "local", "internal")

#: Query keys whose value identifies a person or grants access as one.
PERSONAL_URL_KEYS = frozenset((
    "email", "e-mail", "mail", "user", "username", "user_name", "userid", "user_id", "uid",
    "login", "name", "fullname", "full_name", "first_name", "firstname", "fname", "last_name",
    "lastname", "lname", "phone", "tel", "mobile", "contact", "token", "access_token", "auth",
    "auth_token", "key", "api_key", "apikey", "session", "sessionid", "session_id", "sid",
    "password", "pwd", "pass", "secret", "signature", "sig", "code", "invite", "invite_code",
    "reset", "reset_token", "ssn", "address",
))  # fmt: skip

# spaCy's NER labels (OntoNotes) other than PERSON: ignored by the NLP engine, so Presidio
# neither maps nor warns about them.
_OTHER_NER_LABELS = (
    "CARDINAL", "DATE", "EVENT", "FAC", "GPE", "LANGUAGE", "LAW", "LOC", "MONEY", "NORP",
    "ORDINAL", "ORG", "PERCENT", "PRODUCT", "QUANTITY", "TIME", "WORK_OF_ART",
)  # fmt: skip


def build_analyzer(
    *,
    allow_list: Sequence[str] = (),
    phone_regions: Sequence[str] = PHONE_REGIONS,
    nlp: Any = None,
) -> Any:
    """An offline Presidio ``AnalyzerEngine`` with the personal-data recognizers only.

    Its NLP engine wraps ``nlp`` (default: the shared :func:`load_pipeline`) instead of
    loading a model of its own.
    """
    from presidio_analyzer import (  # deferred: Presidio pulls in transformers and torch (~4 s)
        AnalyzerEngine,
        RecognizerRegistry,
    )
    from presidio_analyzer.nlp_engine import (  # deferred: as above
        NerModelConfiguration,
        SpacyNlpEngine,
    )
    from presidio_analyzer.predefined_recognizers import (  # deferred: as above
        CreditCardRecognizer,
        IbanRecognizer,
        IpRecognizer,
        PhoneRecognizer,
    )

    quiet_presidio_debug_log()
    nlp = nlp if nlp is not None else load_pipeline()
    nlp_engine = SpacyNlpEngine(
        models=[{"lang_code": LANGUAGE, "model_name": nlp.meta.get("name", MODEL)}],
        ner_model_configuration=NerModelConfiguration(labels_to_ignore=list(_OTHER_NER_LABELS)),
    )
    nlp_engine.nlp = {LANGUAGE: nlp}  # type: ignore[assignment]  # shared, not a second copy
    classes = _recognizer_classes()
    recognizers = [
        classes["PersonRecognizer"](allow_list=allow_list),
        classes["OfflineEmailRecognizer"](),
        PhoneRecognizer(supported_regions=tuple(phone_regions), context=list(PHONE_CONTEXT)),
        CreditCardRecognizer(),
        IbanRecognizer(),
        IpRecognizer(),
        classes["PersonalUrlRecognizer"](),
    ]
    registry = RecognizerRegistry(recognizers=recognizers, supported_languages=[LANGUAGE])
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=[LANGUAGE])


def _below_info(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.INFO


def quiet_presidio_debug_log() -> None:
    """Drop the ``presidio-analyzer`` logger's DEBUG records, which quote the analysed text.

    Its context enhancer logs the words around every match ("Context list is: ..."), which
    would put personal data in any log set to DEBUG. Its INFO and WARNING records quote no
    text and pass. Idempotent.
    """
    presidio_logger = logging.getLogger("presidio-analyzer")
    if _below_info not in presidio_logger.filters:
        presidio_logger.addFilter(_below_info)


@functools.cache
def offline_tld_extractor() -> Any:
    """A ``tldextract`` extractor that never reaches the network and knows reserved TLDs."""
    import tldextract  # deferred: only Presidio's e-mail recognizer uses it

    return tldextract.TLDExtract(
        cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True, extra_suffixes=RESERVED_TLDS
    )


def url_has_personal_tokens(url: str) -> bool:
    """Whether a URL identifies a person: an ``@`` (an address, user info) or a personal key.

    Personal keys are query (or fragment) parameters named in :data:`PERSONAL_URL_KEYS`.
    """
    decoded = unquote(url)
    if "@" in decoded:
        return True
    try:
        parts = urlsplit(url if "://" in url else "http://" + url)
    except ValueError:
        return False
    for query in (parts.query, parts.fragment):
        for key, _ in parse_qsl(query, keep_blank_values=True):
            if key.strip().lower().replace("-", "_") in PERSONAL_URL_KEYS:
                return True
    return False


# --------------------------------------------------------------------------------------------
# Recognizer classes. They subclass Presidio's, whose import pulls in transformers and torch
# (~6 s), so they are built on first use and reached as attributes of this module.

_LAZY = ("OfflineEmailRecognizer", "PersonalUrlRecognizer", "PersonRecognizer")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return _recognizer_classes()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _recognizer_classes() -> dict[str, type]:
    """The recognizer classes, made on first use (they subclass Presidio's)."""
    return {**_email_and_url_classes(), "PersonRecognizer": _person_recognizer_class()}


def _email_and_url_classes() -> dict[str, type]:
    from presidio_analyzer import Pattern  # deferred: Presidio pulls in transformers and torch
    from presidio_analyzer.predefined_recognizers import (  # deferred: as above
        EmailRecognizer,
        UrlRecognizer,
    )

    class OfflineEmailRecognizer(EmailRecognizer):
        """Presidio's e-mail recognizer, validating domains against the bundled suffix list."""

        def validate_result(self, pattern_text: str) -> bool:
            return offline_tld_extractor()(pattern_text).fqdn != ""

    class PersonalUrlRecognizer(UrlRecognizer):
        """Presidio's URL recognizer, keeping only URLs with personal tokens.

        A link to a docs page or a dashboard says what the customer is talking about and is
        kept; a password-reset link with ``?email=`` or a ``token=`` is redacted whole. Adds
        one pattern for ``http(s)://`` URLs under any top-level domain (Presidio's list lacks
        ``.example``, ``.test``).
        """

        def __init__(self, **kwargs: Any):
            any_tld = Pattern("Any-TLD URL", r"\bhttps?://[^\s<>\"'()]+", 0.6)
            kwargs.setdefault("patterns", [*UrlRecognizer.PATTERNS, any_tld])
            super().__init__(**kwargs)

        def invalidate_result(self, pattern_text: str) -> bool:
            return not url_has_personal_tokens(pattern_text)

    return {
        "OfflineEmailRecognizer": OfflineEmailRecognizer,
        "PersonalUrlRecognizer": PersonalUrlRecognizer,
    }


def _person_recognizer_class() -> type:
    from presidio_analyzer import RecognizerResult  # deferred: Presidio pulls in transformers
    from presidio_analyzer.predefined_recognizers import SpacyRecognizer  # deferred: as above

    class PersonRecognizer(SpacyRecognizer):
        """Presidio's spaCy recognizer for PERSON, with name cues, repeats and an allow list.

        Args:
            allow_list: Names never redacted as persons (see :class:`~.redact.Redactor`).
            **kwargs: Passed to ``SpacyRecognizer``.
        """

        def __init__(self, *, allow_list: Iterable[str] = (), **kwargs: Any):
            kwargs.setdefault("supported_entities", ["PERSON"])
            super().__init__(**kwargs)
            self.allowed_pattern = allow_list_pattern(allow_list)
            self._lexicon: dict[str, str] | None = None

        def _words(self, nlp_artifacts: Any) -> dict[str, str]:
            if self._lexicon is None:
                self._lexicon = lexicon(nlp_artifacts.nlp_engine.get_nlp(self.supported_language))
            return self._lexicon

        def analyze(self, text: str, entities: Any, nlp_artifacts: Any = None) -> list[Any]:
            if "PERSON" not in entities or nlp_artifacts is None:
                return []
            pattern = self.allowed_pattern
            allowed = [m.span() for m in pattern.finditer(text)] if pattern else []
            name = str(self.name)  # type: ignore[has-type]
            return [
                RecognizerResult(
                    entity_type="PERSON",
                    start=start,
                    end=end,
                    score=score,
                    recognition_metadata={
                        RecognizerResult.RECOGNIZER_NAME_KEY: name,
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                    },
                )
                for start, end, score in find_persons(
                    nlp_artifacts.tokens,
                    nlp_artifacts.entities,
                    allowed,
                    self._words(nlp_artifacts),
                )
            ]

    return PersonRecognizer
