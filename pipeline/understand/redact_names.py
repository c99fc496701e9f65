"""Person names for redaction: spaCy NER checked by the tagger and parser, plus name cues.

What spaCy's small NER misses in support mail, chats and call notes is mostly names in fixed
places, and what it adds wrongly is mostly tools and words at the start of a line. This module
reads both from spaCy tokens (no character regexes over the text):

* **NER persons**, kept where the tagger, parser and lexicon agree: not one word tagged as a
  verb or adjective ("Mark the alert."), not a common verb/adjective/adverb opening a line
  ("Glad we got there!"), not the object of "in", "on", "via" ("works in Safari and Firefox"),
  not a modifier of a common noun ("the Salesforce integration"); of an entity running across
  lines, only its first line that is not a sign-off ("Thx,\nPatrick\nProduct Manager").
* **Cues** (:func:`name_cues`): the name after a greeting ("Hi Nadia,"), the name line after
  a sign-off ("Thanks,\nNadia Petrov") or on it ("Cheers, Tom"), ``From:``/``Attendees:``
  headers, chat mentions (``@Tom``); weaker ones that count only where NER agrees or a word is
  not a common English verb, adjective or adverb: a sentence-final vocative ("..., Jin."), a
  name before ``<address>`` or ``wrote:``, a speaker label ("Lucas: ..."), "talked to X", a
  word spelt in an e-mail address of the same text.
* **Repeats**: a name found once is found again wherever it is written in the same text, as a
  whole or by its parts ("Nadia Petrov" ... "Nadia"), except a capitalised word opening a line
  or sentence that the tagger does not read as a proper noun ("Will the export work?").
* **Allow list**: spans of allowed names (gazetteer, accounts) are cut out of every person
  ("Nadia Petrov, Lumora" keeps "Lumora"), and a name touching one seeds no repeats.

The ``lexicon`` (the rule lemmatizer's WordNet index from the installed spaCy model) and the
allow list pattern are built in :mod:`.redact_words`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .redact_evidence import TITLES, census_name, common_word, name_evidence

# re-exported: they were defined here
from .redact_words import allow_list_pattern as allow_list_pattern
from .redact_words import allow_terms as allow_terms
from .redact_words import census_names, everyday_word
from .redact_words import lexicon as lexicon

GREETINGS = frozenset((
    "hi", "hello", "hey", "dear", "hiya", "heya", "morning", "afternoon", "evening",
    "greetings", "howdy", "thanks",
))  # fmt: skip
SIGN_OFFS = frozenset(
    {
        "thanks", "thank you", "thanks again", "thanks so much", "thanks in advance",
        "many thanks", "thanks a lot", "thx", "ty", "best", "best regards", "kind regards",
        "warm regards", "warmest regards", "regards", "cheers", "sincerely", "yours",
        "yours truly", "all the best", "br", "talk soon", "speak soon", "take care",
        "respectfully", "cordially", "with thanks", "much appreciated", "best wishes",
    }
)  # fmt: skip
#: Capitalised words that follow a greeting or sign-off but address no one in particular.
NOT_NAMES = frozenset((
    "team", "all", "there", "everyone", "everybody", "folks", "guys", "sir", "madam", "support",
    "again", "both", "friends", "colleagues", "hello", "hi", "hey", "thanks", "thank", "you",
    "best", "regards", "cheers", "morning", "afternoon", "evening", "the", "and", "from", "at",
    "sent", "on", "thx", "ty", "br", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri",
    "sat", "sun", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
    "dec",
))  # fmt: skip
#: Local parts of shared mailboxes, which name no one.
ROLE_MAILBOXES = frozenset((
    "support", "billing", "info", "sales", "admin", "admins", "hello", "team", "noreply",
    "no", "reply", "help", "helpdesk", "contact", "finance", "it", "ops", "accounts", "hr",
    "security", "office", "marketing", "success", "service", "feedback", "invoices", "ap",
    "ar", "dev", "devops", "data", "analytics", "legal", "privacy", "procurement", "payroll",
))  # fmt: skip
_TALK = frozenset({"talk", "speak", "meet", "chat", "hear", "call"})
_TALK_PREP = frozenset({"to", "with", "from"})
#: Reporting verbs after a name: "Lucas Moreau says: ...", "Ana mentioned that ..."
_REPORT = frozenset({"say", "ask", "mention", "tell", "report", "write", "note", "complain"})
_HEADER_WORDS = frozenset(
    {"from", "to", "cc", "bcc", "attendees", "participants", "owner", "assignee", "requester"}
)
#: Cue strengths: a strong cue names a person whatever the words; a weak one only where NER
#: agrees or a word is not a common English verb, adjective or adverb; a rare one only where
#: NER agrees or a word is in no English dictionary.
STRONG, WEAK, RARE = "strong", "weak", "rare"
#: A one-word NER person after these is a place or a tool: "in Safari", "on JumpCloud".
_NOT_AFTER = frozenset({"in", "on", "into", "via", "through", "inside", "using"})
_LINE_PREFIX = frozenset({">", "-", "*", "•", "–", "—", "|"})
_NOT_NAME_POS = frozenset(
    {"VERB", "AUX", "ADV", "ADP", "PRON", "DET", "CCONJ", "SCONJ", "NUM", "ADJ", "INTJ"}
)
_HANDLE = re.compile(r"^\w[\w.\-]*$")
_GROUP_MENTIONS = frozenset({"channel", "here", "everyone", "all", "team", "group"})
_NAME_CHARS = re.compile(r"^[^\W\d_](?:[^\W\d_]|[-'’.](?=[^\W\d_]))*\.?$")


def _name_like(tok: Any) -> bool:
    """A capitalised word that can be (part of) a person's name."""
    return _name_like_text(tok.text)


#: A pre-redacted value: "XXXX", "XX/XX", "XXXXd" (consumer complaint exports).
_MASK = re.compile(r"^X{2,}[a-z]{0,2}$")


def _name_like_text(text: str) -> bool:
    return (
        len(text) >= 2
        and text[0].isupper()
        and not text.isupper()
        and _MASK.match(text) is None
        and _NAME_CHARS.match(text) is not None
        and text.lower() not in NOT_NAMES
    )


#: Words a name cue hangs on when the name itself opens a line or sentence ("Thanks,\nWill").
_CUE_WORDS = (
    GREETINGS
    | {phrase.split()[0] for phrase in SIGN_OFFS}
    | _TALK
    | {"talked", "spoke", "met", "chatted", "heard", "called", "wrote", "writes", "attendees"}
    | {"participants", "owner", "assignee", "requester", "cc", "bcc"}
)
_OPENS = frozenset({".", "!", "?", ":", ";"})
_INTERJECTIONS = frozenset(
    {"oh", "um", "uh", "umm", "uhm", "hmm", "ah", "yeah", "yep", "nope", "okay", "ok", "sure"}
)
_WEEKDAYS = frozenset(
    {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
)


def _common_word(word: str, lexicon: Mapping[str, str]) -> bool:
    """A verb, adjective or adverb, also inflected ("escalated", "filtering", "talks")."""
    forms = [word]
    if word.endswith("ed"):
        forms += [word[:-2], word[:-1]]  # talked, escalated
    elif word.endswith("ing"):
        forms += [word[:-3], word[:-3] + "e"]  # filtering, sharing
    elif word.endswith("s"):
        forms.append(word[:-1])  # talks
    return any(lexicon.get(f) == "common" for f in forms if len(f) > 2)


def may_name_someone(
    doc: Any, covered: Sequence[tuple[int, int]], lexicon: Mapping[str, str]
) -> bool:
    """Whether a tokenised (not yet parsed) text can hold a person's name at all.

    A cheap test that lets texts without one skip the tagger, parser and NER. Every cue of
    :func:`name_cues` needs a capitalised, name-like word or an ``@``; NER and the checks of
    :func:`find_persons` drop a lone capitalised word opening a sentence that is a stop word,
    an interjection or a common verb, adjective or adverb (also inflected). So a text needs
    parsing when it has an ``@``, or a name-like word outside ``covered`` (character spans of
    gazetteer and allowed names) that is not such an opener nor a weekday, or such an opener
    next to a cue word ("Thanks,\nWill").
    """
    if "@" in doc.text:
        return True
    opener = True
    openers = cue = False
    spans = sorted(covered)
    for tok in doc:
        if tok.is_space:
            opener = opener or "\n" in tok.text
            continue
        text = tok.text
        if _name_like_text(text) and tok.lower_ not in _WEEKDAYS and not _inside(tok.idx, spans):
            lower = tok.lower_
            if not opener or not (
                tok.is_stop or lower in _INTERJECTIONS or _common_word(lower, lexicon)
            ):
                return True
            openers = True
        cue = cue or tok.lower_ in _CUE_WORDS
        opener = text in _OPENS or (opener and text in _LINE_PREFIX)
    return openers and cue


_TALKED = frozenset(
    f"{stem}{suffix}"
    for stem in ("talk", "speak", "meet", "chat", "hear", "call")
    for suffix in ("", "s", "ed", "ing")
) | {"spoke", "spoken", "met", "chatted", "chatting", "heard"}
_LINE_CUES = GREETINGS | {p.split()[0] for p in SIGN_OFFS} | _HEADER_WORDS | {"good", "thank"}
_REPORTED = frozenset(
    {"says", "said", "asks", "asked", "mentions", "mentioned", "tells", "told", "reports",
     "reported", "notes", "noted", "complains", "complained"}
)  # fmt: skip


def needs_tags(doc: Any) -> bool:
    """Whether a doc with NER entities also needs tags, parse and lemmas for its names.

    They serve to check NER persons (:func:`find_persons`) and the cues that read parts of
    speech or lemmas, or whose names are then looked for again (:func:`_repeats` reads parts
    of speech): a greeting, sign-off or header word opening a line, "talked to", "wrote", a
    name-like word before "says" (or "asked", "mentioned"...), a
    name-like word before ``:``, ``(`` or ``<`` (speaker labels, addresses) or after a comma
    (vocatives), an ``@``, a census given name and surname (:func:`census_pairs`). A doc with no
    person entity and none of these needs none of it.
    """
    if "@" in doc.text or any(ent.label_ == "PERSON" for ent in doc.ents):
        return True
    given, surnames = census_names()
    line_start = True
    previous: Any = None
    for tok in doc:
        if tok.is_space:
            line_start = line_start or "\n" in tok.text
            continue
        lower = tok.lower_
        if line_start and lower in _LINE_CUES:
            return True
        if lower.rstrip(".") in TITLES or lower in _NAME_WORDS:
            return True
        if lower in _TALKED and tok.i + 1 < len(doc) and doc[tok.i + 1].lower_ in _TALK_PREP:
            return True
        if lower in {"wrote", "writes"}:
            return True
        if previous is not None:
            if lower in _REPORTED and _name_like(previous):
                return True
            if tok.text in {":", "(", "<"} and (
                _name_like(previous) or previous.lower_ in _HEADER_WORDS
            ):
                return True
            if previous.text == "," and _name_like(tok):
                return True
            if (  # a census given name or surname beside a name (:func:`census_pairs`)
                (previous.lower_ in given or lower in surnames)
                and _name_like(previous)
                and _name_like(tok)
            ):
                return True
        line_start = line_start and tok.text in _LINE_PREFIX
        previous = tok
    return False


def _inside(offset: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(start <= offset < end for start, end in spans)


def _lines(doc: Any) -> list[list[Any]]:
    """The doc's non-space tokens, line by line, without leading quote marks or bullets."""
    lines: list[list[Any]] = []
    current: list[Any] = []
    for tok in doc:
        if tok.is_space:
            if "\n" in tok.text:
                lines.append(current)
                current = []
            continue
        if not current and tok.text in _LINE_PREFIX:
            continue
        current.append(tok)
    lines.append(current)
    return lines


def _name_run(tokens: Sequence[Any], i: int, limit: int = 4) -> int:
    """The end index of the run of name-like tokens starting at ``i`` (``i`` when none)."""
    j = i
    while j < len(tokens) and j - i < limit and _name_like(tokens[j]):
        j += 1
    return j


def _phrase(tokens: Sequence[Any]) -> str:
    return " ".join(t.lower_ for t in tokens if not t.is_punct)


def _sign_off_length(line: Sequence[Any]) -> int:
    """How many leading tokens of the line are a sign-off phrase (0 when none)."""
    for n in range(min(4, len(line)), 0, -1):
        if _phrase(line[:n]) in SIGN_OFFS and not line[n - 1].is_punct:
            return n
    return 0


Cue = tuple[int, int, str]  # token start, token end, strength


def name_cues(doc: Any) -> list[Cue]:
    """Token spans ``(start, end, strength)`` of names in fixed places: greetings, sign-offs...

    Read from spaCy tokens and tags: the name after a greeting, the name line after (or on)
    a sign-off line, a ``From:`` or ``Attendees:`` header, a chat mention ``@Tom``
    (:data:`STRONG` cues, whatever the words); a sentence-final vocative, a name before
    ``<address>`` or ``wrote``, a speaker label ``Name:`` at the start of a line, a name after
    "talked to" or before "says", a word spelt in an address of the text (:data:`WEAK` cues:
    "Reset:" and "Mail <...>" fit them too); two or three capitalised words before a bracket
    (:data:`RARE`: "Workspace Admin (role)" fits too).
    """
    found: list[Cue] = []
    lines = _lines(doc)
    for n, line in enumerate(lines):
        if not line:
            continue
        found += _greeting_cues(line)
        found += _sign_off_cues(line, lines[n + 1 : n + 3])
        found += _header_cues(line)
        found += _speaker_cues(line)
        found += _intro_cues(line)
        for t in range(len(line)):
            found += _token_cues(line, t)
    found += _address_cues(doc)
    return found


def _greeting_cues(line: Sequence[Any]) -> list[Cue]:
    """The names after a greeting: "Hi Nadia,", "Good morning Tom and Ana!", "Thank you Rose -"."""
    found: list[Cue] = []
    first = line[0].lower_
    i = 0
    if first == "good" and len(line) > 1 and line[1].lower_ in GREETINGS:
        i = 1
    if line[i].lower_ in GREETINGS or (first == "thank" and len(line) > 1):
        i += 2 if line[i].lower_ == "thank" else 1
        while i < len(line):
            j = _name_run(line, i)
            if j == i:
                break
            end_ok = j == len(line) or line[j].text in {",", "!", ":", "-", "—", "–", "."}
            if end_ok or (j < len(line) and line[j].lower_ in {"and", "&"}):
                found.append((line[i].i, line[j - 1].i + 1, STRONG))
            if j < len(line) - 1 and line[j].lower_ in {"and", "&"}:
                i = j + 1
            else:
                break
    return found


def _sign_off_cues(line: Sequence[Any], following: Sequence[Sequence[Any]]) -> list[Cue]:
    """The name after a sign-off: on the next line holding words ("Best,\\nNadia Petrov | Head
    of Data", ``following`` are the two next lines) or on the same line ("Cheers, Tom",
    "Thanks - Nadia")."""
    k = _sign_off_length(line)
    rest = line[k:]
    if k and all(t.is_punct for t in rest):
        nxt = next((ln for ln in following if ln), None)
        if nxt:
            j = _name_run(nxt, 0)
            if j and (j == len(nxt) or nxt[j].text in {",", "|", "-", "–", "—", "<", "("}):
                return [(nxt[0].i, nxt[j - 1].i + 1, STRONG)]
    elif k and rest and rest[0].is_punct:
        j = _name_run(rest, 1)
        if j > 1 and j == len(rest):
            return [(rest[1].i, rest[j - 1].i + 1, STRONG)]
    return []


def _header_cues(line: Sequence[Any]) -> list[Cue]:
    """The names of a header: "From: Nadia Petrov", "Attendees: Hana Costa, Darius Marsh"."""
    found: list[Cue] = []
    if line[0].lower_ in _HEADER_WORDS and len(line) > 2 and line[1].text == ":":
        i = 2
        while (j := _name_run(line, i)) > i:
            found.append((line[i].i, line[j - 1].i + 1, STRONG))
            if j + 1 < len(line) and line[j].lower_ in {",", ";", "and", "&"}:
                i = j + 1
            else:
                break
    return found


#: Words a name follows: "my name is Angela", "last name Martin", "a waiter named Chris".
_NAME_WORDS = frozenset({"name", "names", "named", "surname", "nickname"})
_ABBREVIATED = frozenset({"mr", "mrs", "ms", "dr", "prof", "mx"})


def _intro_cues(line: Sequence[Any]) -> list[Cue]:
    """A name after a title or after "name": "Dr. Morgan", "Mr Williamson", "my name is Sarah
    Lee", "last name Martin", "named Chris" (:data:`WEAK` cues)."""
    found: list[Cue] = []
    for t, tok in enumerate(line[:-1]):
        lower = tok.lower_
        if lower.rstrip(".") in TITLES:
            j = t + 2 if line[t + 1].text == "." and lower in _ABBREVIATED else t + 1
        elif lower in _NAME_WORDS:
            j = t + 2 if line[t + 1].lower_ in {"is", "'s", "’s", ":", "was"} else t + 1
        else:
            continue
        end = _name_run(line, j, limit=3)
        if end > j:
            found.append((line[j].i, line[end - 1].i + 1, WEAK))
    return found


def _speaker_cues(line: Sequence[Any]) -> list[Cue]:
    """A speaker label: "Lucas: ...", "- Omar: check usage"."""
    j = _name_run(line, 0, limit=2)
    speaker = 0 < j < len(line) - 1 and line[j].text == ":" and line[0].pos_ == "PROPN"
    # followed by words or a quote, not "Tel: +1 ..."
    if (
        speaker
        and line[0].lower_ not in _HEADER_WORDS
        and (line[j + 1].is_alpha or line[j + 1].is_quote)
    ):
        return [(line[0].i, line[j - 1].i + 1, WEAK)]
    return []


def _token_cues(line: Sequence[Any], t: int) -> list[Cue]:
    """The cues at the line's token ``t``: a mention, a name before an address, a bracket or
    "wrote", before a reporting verb, after "talked to", a vocative."""
    found: list[Cue] = []
    tok = line[t]
    # Chat mention: "cc @Mohammed Whitfield", "@nadia.petrov"
    handle = tok.text[1:]
    mention = tok.text[0] == "@" and _HANDLE.match(handle) and not tok.like_email
    if mention and handle.lower() not in _GROUP_MENTIONS:
        j = _name_run(line, t + 1, limit=1) if _name_like_text(handle) else t + 1
        found.append((tok.i, line[j - 1].i + 1, STRONG))
    # Before an address or "wrote": "Benedikt Mahmoud <benedikt@...> wrote:",
    # "Arjun Torres (arjun@...)"
    # "Alejandro Rossi (VP Operations)": two or three words before a bracket
    address = tok.text in {"<", "("} and t + 1 < len(line) and line[t + 1].like_email
    if address or tok.text in {"<", "("} or tok.lower_ in {"wrote", "writes"}:
        s = t
        while s > 0 and t - s < 3 and _name_like(line[s - 1]):
            s -= 1
        if s < t and (address or tok.text != "("):
            found.append((line[s].i, line[t - 1].i + 1, WEAK))
        elif s < t - 1:
            found.append((line[s].i, line[t - 1].i + 1, RARE))
    # Before a reporting verb: "Lucas Moreau says:", "Ana mentioned that"
    if tok.lemma_ in _REPORT and tok.pos_ in ("VERB", "AUX") and t > 0:
        s = t
        while s > 0 and t - s < 3 and _name_like(line[s - 1]):
            s -= 1
        if s < t and line[s].pos_ == "PROPN":
            found.append((line[s].i, line[t - 1].i + 1, WEAK))
    # After talking: "Talked to Ana Bianchi (Analytics Lead)", "met with Tom"
    if tok.lemma_ in _TALK and t + 2 < len(line) and line[t + 1].lower_ in _TALK_PREP:
        j = _name_run(line, t + 2, limit=3)
        if j > t + 2:
            found.append((line[t + 2].i, line[j - 1].i + 1, WEAK))
    # Vocative: "..., Jin." / "..., Jin!" at a sentence end or line end
    if tok.text == "," and t + 1 < len(line):
        j = _name_run(line, t + 1, limit=2)
        proper = j > t + 1 and all(x.pos_ == "PROPN" for x in line[t + 1 : j])
        # not "in Gardena, California", "science, history, Christianity", "today, Saturday"
        after_name = t > 0 and (line[t - 1].pos_ == "PROPN" or line[t - 1].dep_ == "conj")
        date = any(
            x.lower_ in _WEEKDAYS or x.ent_type_ in ("DATE", "TIME") for x in line[t + 1 : j]
        )
        if (
            proper
            and not after_name
            and not date
            and (j == len(line) or line[j].text in {".", "!", "?"})
        ):
            found.append((line[t + 1].i, line[j - 1].i + 1, WEAK))
    return found


def _address_cues(doc: Any) -> list[Cue]:
    """A name spelt in an address of the same text: "Dana Nakamura ... dana.nakamura@..."."""
    local_parts = {
        part
        for tok in doc
        if tok.like_email
        for part in re.split(r"[._+\-]", tok.lower_.split("@", 1)[0])
        if len(part) > 1 and part not in ROLE_MAILBOXES
    }
    if not local_parts:
        return []
    return [
        (tok.i, tok.i + 1, WEAK)
        for tok in doc
        if tok.lower_ in local_parts and _name_like(tok) and not tok.like_email
    ]


def _name_line(tokens: Sequence[Any]) -> list[Any]:
    """An entity's tokens on its first line holding a name (none when no line does).

    The small model's NER runs on across line breaks ("Thx,\nPatrick\nProduct",
    "Marcus\nLumora Support\nEscalated"): the name is its first line that is not a sign-off.
    """
    pieces: list[list[Any]] = [[]]
    for tok in tokens:
        if tok.is_space:
            if "\n" in tok.text or "\t" in tok.text:
                pieces.append([])
        elif pieces[-1] or tok.text not in _LINE_PREFIX:
            pieces[-1].append(tok)
    for piece in pieces:
        if piece and any(_name_like(t) for t in piece) and not _sign_off_length(piece):
            return piece
    return []


def _overlaps(span: tuple[Any, ...], others: Iterable[tuple[int, int]]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in others)


def _subtract(
    start: int, end: int, allowed: Sequence[tuple[int, int]], text: str
) -> list[tuple[int, int]]:
    """``[start, end)`` minus the allowed stretches, trimmed of spaces and punctuation."""
    pieces = [(start, end)]
    for s, e in allowed:
        nxt = []
        for a, b in pieces:
            if e <= a or b <= s:
                nxt.append((a, b))
                continue
            if a < s:
                nxt.append((a, s))
            if e < b:
                nxt.append((e, b))
        pieces = nxt
    out = []
    for a, b in pieces:
        while a < b and not text[a].isalnum():
            a += 1
        while b > a and not (text[b - 1].isalnum() or text[b - 1] == "."):
            b -= 1
        if b > a and any(c.isalpha() for c in text[a:b]):
            out.append((a, b))
    return out


def find_persons(
    doc: Any,
    ner_entities: Iterable[Any],
    allowed: Sequence[tuple[int, int]],
    lexicon: Mapping[str, str] | None = None,
) -> list[tuple[int, int, float]]:
    """Character spans ``(start, end, score)`` of person names in a spaCy doc.

    Args:
        doc: The doc Presidio's NLP engine made (tagged, parsed, with NER).
        ner_entities: Its PERSON entities (Presidio's ``nlp_artifacts.entities``).
        allowed: Character spans of allow-list names, never part of a person.
        lexicon: English words, as from :func:`lexicon`, to weigh weak cues.
    """
    lexicon = lexicon or {}
    seeds: list[tuple[int, int, float]] = []
    in_ner: set[int] = set()  # tokens of plausible NER persons
    sure: set[int] = set()  # of those with evidence of their own (.redact_evidence)
    pieces = []
    for ent in ner_entities:
        if ent.label_ != "PERSON":
            continue
        piece = _name_line(doc[ent.start : ent.end])
        if piece and _plausible_person(piece, lexicon):
            in_ner.update(t.i for t in piece)
            if name_evidence(piece, lexicon, _name_like):
                sure.update(t.i for t in piece)
            pieces.append(piece)
    cued: set[int] = set()
    for start, end, strength in name_cues(doc):
        tokens = doc[start:end]
        agree = sure if strength == RARE else in_ner  # a rare cue and a bare NER person: no
        if strength != STRONG and not any(t.i in agree for t in tokens):
            kinds = [lexicon.get(t.lower_) or lexicon.get(t.lemma_.lower()) for t in tokens]
            if strength == WEAK and all(k == "common" for k in kinds):
                continue
            if strength == RARE and None not in kinds:
                continue
        cued.update(range(start, end))
        seeds.append((tokens.start_char, tokens.end_char, CUE_SCORE))
    # an NER person needs evidence besides its capitals: a cue on it, or .redact_evidence's
    for piece in pieces:
        if any(t.i in cued or t.i in sure for t in piece):
            seeds.append((piece[0].idx, piece[-1].idx + len(piece[-1]), NER_SCORE))
    # a name the NER missed or clipped ("Emeka [Patel]"): a census given name or surname
    # beside a proper noun, one of them in no dictionary (overlapping spans merge)
    for first, last in census_pairs(doc, lexicon):
        seeds.append((first.idx, last.idx + len(last), NER_SCORE))
    seeds = [s for s in seeds if not _overlaps(s, allowed)]
    spans = seeds + _repeats(doc, seeds, allowed)
    return [
        (s, e, score)
        for start, end, score in spans
        for s, e in _subtract(start, end, allowed, doc.text)
    ]


#: Entity types that say a run of capitalised words is not a person.
_NOT_PERSON_ENTS = frozenset(
    {"ORG", "GPE", "LOC", "FAC", "PRODUCT", "WORK_OF_ART", "NORP", "EVENT", "LAW", "LANGUAGE"}
)


def census_pairs(doc: Any, lexicon: Mapping[str, str]) -> list[tuple[Any, Any]]:
    """Two proper nouns alone on their run, a given name then a surname of the census lists
    (:func:`.redact_words.census_names`), or one of them there and the other in no English
    dictionary (:func:`.redact_evidence.census_name` ``one_side``), not both everyday English
    words (:func:`.redact_evidence.common_word`), neither a verb, adjective or adverb, nor
    possessive, nor both tagged as an organisation, place or product: "Intro email sent to Ana
    Yamamoto.", "Met Aarav Nakamura at the booth." when the NER misses the name."""
    if not census_names()[0]:
        return []
    out = []
    for first in doc[:-1]:
        last = doc[first.i + 1]
        if (
            first.pos_ != "PROPN"
            or last.pos_ != "PROPN"
            or not (_name_like(first) and _name_like(last))
            or (first.ent_type_ in _NOT_PERSON_ENTS and last.ent_type_ in _NOT_PERSON_ENTS)
            or not census_name(first, last, lexicon, one_side=True)
            or lexicon.get(first.lower_) == "common"
            or first.lower_.rstrip(".") in TITLES  # "Dr Morgan": the NER's or a cue's
            or all(common_word(t.text, lexicon) for t in (first, last))
        ):
            continue
        before = doc[first.i - 1] if first.i > 0 else None
        after = doc[last.i + 1] if last.i + 1 < len(doc) else None
        if (
            before is not None
            and before.pos_ == "PROPN"
            and _name_like(before)
            # a capitalised everyday word opening the sentence is no part of it ("Met ...")
            and not (before.is_sent_start and everyday_word(before.text))
        ):
            continue  # part of a longer name ("Anna Maria Island")
        if after is not None and after.pos_ == "PROPN" and _name_like(after):
            continue
        out.append((first, last))
    return out


def _plausible_person(tokens: Sequence[Any], lexicon: Mapping[str, str]) -> bool:
    """Whether the tagger, parser and lexicon agree that an NER person can be one.

    Not: one word the tagger reads as a verb, adjective... ("Mark the alert."), or a common
    verb, adjective or adverb opening a line or sentence ("Glad we got there!"); the object of
    "in", "on", "via"... or a word joined to one ("works in Safari and Firefox"); a name that
    modifies a common noun ("the Salesforce integration", "Anomaly detection").
    """
    if len(tokens) == 1:
        tok = tokens[0]
        if tok.pos_ in _NOT_NAME_POS:
            return False
        opens = tok.is_sent_start or tok.i == 0 or "\n" in tok.nbor(-1).text
        if opens and lexicon.get(tok.lower_) == "common":
            return False
    last = tokens[-1]
    if last.dep_ == "compound" and last.head.pos_ == "NOUN":
        return False
    root = last
    while root.dep_ == "conj" and root.head.i != root.i:
        root = root.head
    return not (root.dep_ == "pobj" and root.head.lower_ in _NOT_AFTER)


NER_SCORE = 0.85
CUE_SCORE = 0.85
REPEAT_SCORE = 0.75


def _repeats(
    doc: Any, seeds: list[tuple[int, int, float]], allowed: Sequence[tuple[int, int]]
) -> list[tuple[int, int, float]]:
    """Other mentions of the seeds' names (whole names and their parts) in the same doc."""
    text = doc.text
    parts = set()
    for start, end, _ in seeds:
        for word in text[start:end].split():
            word = word.strip(".,")
            if _name_like_text(word):
                parts.add(word)
    if not parts:
        return []
    covered: set[int] = set()
    for start, end, _ in seeds:
        covered.update(range(start, end))
    out = []
    line_start = True
    for tok in doc:
        if tok.is_space:
            line_start = line_start or "\n" in tok.text
            continue
        at_start, line_start = line_start, False
        if tok.text not in parts or tok.idx in covered:
            continue
        if (at_start or tok.is_sent_start) and tok.pos_ != "PROPN":
            continue  # "Will the export work?", "Mark as done"
        span = (tok.idx, tok.idx + len(tok), REPEAT_SCORE)
        if not _overlaps(span, allowed):
            out.append(span)
    return out
