"""The drop rules of insight-unit segmentation: plain functions of text, no spaCy.

Line rules (:func:`line_rules`) decide on whole lines of one speaker turn: quoted earlier
replies, auto-replies, signatures and sign-off lines. Sentence rules (:func:`phatic_rule`,
:func:`is_bot_sentence`, :func:`is_bot_label`) decide on one sentence: greetings, closing
formulas, fillers, bot boilerplate. :func:`is_weak` marks sentences kept but never a unit alone.
``docs/segmentation.md`` lists each rule with examples; :mod:`.segment` runs
them as spaCy components.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: Every drop rule, in the order they are applied.
DROP_RULES = (
    "quoted_reply",
    "auto_reply",
    "signature",
    "sign_off",
    "greeting",
    "bot_boilerplate",
    "filler",
)

# --- patterns -------------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W_][\w'’-]*")
_SLACK_EMOJI = re.compile(r":[a-z0-9_+-]+:")
_CLAUSE_SPLIT = re.compile(r"[,;:!?.…()\[\]\"“”]+|\s[-–—]+\s")
TERMINAL = re.compile(r"[.!?…]['\")\]”’]*$")
_NAME = r"[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3}"

_VALEDICTION = (
    r"(?i:(?:(?:many|much|big|huge)\s+)?thanks?(?:\s+(?:again|so\s+much|a\s+lot|a\s+bunch|very\s+much"
    r"|in\s+advance|for\s+(?:your|the)\s+(?:help|time|support|patience|assistance)))*"
    r"|thank\s+you(?:\s+(?:again|so\s+much|very\s+much|in\s+advance"
    r"|for\s+(?:your|the)\s+(?:help|time|support|patience|assistance)))*"
    r"|thx|thnx|tks|ty|tia|cheers|best(?:\s+wishes|\s+regards)?"
    r"|(?:kind|kindest|warm|warmest|best|many|with\s+kind)\s+regards|regards|rgds|br"
    r"|sincerely(?:\s+yours)?|yours(?:\s+(?:sincerely|truly|faithfully))?|all\s+the\s+best"
    r"|take\s+care|talk\s+soon|speak\s+soon|cordially|respectfully|with\s+thanks"
    # the standard valedictions of other languages exports carry (de, fr, es, nl, it, pt, sv,
    # da/no, pl): a closed class of formulas, like the English ones above
    r"|mit\s+freundlichen\s+gr(?:ü|ue)(?:ß|ss)en|(?:viele|beste|liebe|freundliche)\s+gr(?:ü|ue)(?:ß|ss)e"
    r"|mfg|(?:bien\s+)?cordialement|bien\s+à\s+vous|(?:meilleures\s+)?salutations(?:\s+distinguées)?"
    r"|(?:un\s+)?saludos?(?:\s+cordiales)?|cordiales\s+saludos|atentamente"
    r"|(?:met\s+)?vriendelijke\s+groet(?:en)?|groeten|mvg|(?:cordiali|distinti)\s+saluti"
    r"|(?:un\s+)?cordiale\s+saluto|atenciosamente|cumprimentos|(?:med\s+)?vänliga\s+hälsningar"
    r"|(?:med\s+)?venlig\s+hilsen|(?:med\s+)?vennlig\s+hilsen|pozdrawiam)"
)
#: "Thanks,", "Best regards", "Thanks, Sam", "Cheers - Sam": a valediction line, a name at most.
#: A name follows a comma or dash, or a bare "Thanks"/"Cheers" ("Best Buy" is not a sign-off).
SIGN_OFF_LINE = re.compile(
    rf"(?:{_VALEDICTION}(?:\s*[,.!]+\s*(?:[-–—]\s*)?{_NAME}|\s*[-–—]+\s*{_NAME})?"
    rf"|(?i:thanks|thank\s+you|thx|ty|cheers)\s+{_NAME})(?:\s*[,.!]*)(?:\s*[^\w\s])*"
)

_CONTACT = re.compile(
    r"""(?ix)
    (?:tel|phone|mobile|mob|cell|fax|office|direct|work|whatsapp|[tmpfdew])
      (?:\s+(?:line|number|no|phone))?\.?\s*:\s*\S.*
    | (?:e-?mail|mail|web|website|site|www|linkedin|twitter|skype|teams)\s*:\s*\S.*
    | <?[\w.+'-]+@[\w-]+(?:\.[\w-]+)+>?
    | (?:https?://|www\.)\S+
    | \+?[\d\s().-]{7,}
    | sent\s+from\s+(?:my\s+)?\w.* | get\s+outlook\s+for\s+\w.*
    """
)
_TITLE_LINE = re.compile(r"\S.*\s[|·•]\s\S.*")  # "Head of Data | Parsec Aerospace"
_SIG_DELIMITER = re.compile(r"(?:--|—|__)\s*")

_ON_WROTE = re.compile(
    r"(?i)(?:on|le|am|el|il)\b.{4,300}\b(?:wrote|a\s+écrit|schrieb|escribió|ha\s+scritto)\s*:\s*"
)
_ON_WROTE_TAIL = re.compile(r"(?i).*\b(?:wrote|a\s+écrit|schrieb|escribió|ha\s+scritto)\s*:\s*")
_ORIGINAL_MESSAGE = re.compile(
    r"(?i)-{2,}\s*(?:original\s+message|forwarded\s+message|reply\s+message)\s*-{2,}|_{8,}"
)
_HEADER_FROM = re.compile(r"(?i)(?:from|von|de)\s*:\s*\S.*")
_HEADER_FIELD = re.compile(r"(?i)(?:sent|date|to|subject|cc|gesendet|an|betreff|envoyé)\s*:.*")

_AUTO_STRONG = re.compile(
    r"(?ix)^\W*(?:automatic\s+reply|auto(?:matic)?[-\s]?(?:reply|response)|out\s+of\s+(?:the\s+)?office)\b"
    # the same subject prefixes and notices as mail clients write them in other languages
    # (de, fr, es, it, nl, pt, sv, da/no, pl): a closed class, like the English ones
    r"|^\W*(?:automatische\s+antwort|abwesenheits(?:notiz|meldung)|réponse\s+automatique"
    r"|message\s+d'absence|absence\s+du\s+bureau|respuesta\s+automática|fuera\s+de\s+la\s+oficina"
    r"|risposta\s+automatica|fuori\s+(?:sede|ufficio)|automatisch\s+antwoord|afwezigheidsbericht"
    r"|resposta\s+automática|automatiskt?\s+svar|frånvaromeddelande|fraværsmelding|autosvar"
    r"|automatyczna\s+odpowiedź)\b"
    r"|\bthis\s+is\s+an?\s+(?:automated|automatic|auto-generated|automatically\s+generated)\s+"
    r"(?:response|reply|message|e-?mail|notification)"
)
_AUTO_ABSENT = re.compile(
    r"(?ix)\b(?:out\s+of\s+(?:the\s+)?office|away\s+from\s+(?:the\s+|my\s+)?(?:office|desk|e-?mail)"
    r"|on\s+(?:annual\s+|parental\s+|maternity\s+|paternity\s+|sick\s+)?(?:leave|vacation|holidays?|pto)"
    r"|limited\s+access\s+to\s+(?:e-?mail|my\s+inbox))"
)
_AUTO_RETURN = re.compile(
    r"(?ix)\b(?:until|returning|return|back\s+(?:on|in|at)|when\s+i(?:'m|\s+am)\s+back"
    r"|will\s+(?:respond|reply)|urgent)"
)
_AUTO_CONTEXT = re.compile(
    r"(?i)\b(?:e-?mails?|messages?|respond|reply|replies|contact|urgent|inbox|access)\b"
)
AUTO_REPLY_MAX_CHARS = 600

_SALUTATION = {"hi", "hello", "hey", "heya", "hiya", "howdy", "greetings", "dear", "yo", "morning",
               # other languages' (de, fr, es, it, nl, pt, sv/da/no)
               "hallo", "moin", "servus", "bonjour", "bonsoir", "salut", "hola", "buongiorno",
               "ciao", "hoi", "olá", "ola", "hej"}  # fmt: skip
_DAYPARTS = {"morning", "afternoon", "evening", "day"}
_ADDRESSEES = {"there", "team", "all", "everyone", "everybody", "folks", "guys", "y'all", "support",
               "friends", "both", "again", "and", "the", "you", "zusammen", "alle", "à", "tous",
               "a", "todos", "tutti", "allemaal", "allihop"}  # fmt: skip
_PLEASANTRIES = tuple(
    re.compile(p)
    for p in (
        r"to\s+whom\s+it\s+may\s+concern",
        r"(?:it'?s\s+|it\s+is\s+|so\s+|always\s+)?(?:good|nice|great|lovely|a\s+pleasure)\s+to\s+"
        r"(?:see|meet|hear\s+from|talk\s+to|speak\s+(?:with|to)|catch\s+up\s+with)\s+you"
        r"(?:\s+(?:again|all|too|both))?",
        r"how\s+(?:are\s+you(?:\s+(?:doing|all))?(?:\s+today)?|are\s+things|have\s+you\s+been"
        r"|(?:is|was|'s)\s+(?:it\s+going|your\s+(?:week|day|weekend|morning|quarter)"
        r"(?:\s+(?:going|been))?(?:\s+so\s+far)?))",
        r"how's\s+(?:it\s+going|your\s+(?:week|day|weekend|morning|quarter)(?:\s+(?:going|been))?"
        r"(?:\s+so\s+far)?)",
        r"(?:thanks|thank\s+you)\s+(?:for\s+(?:making|taking)\s+(?:the\s+)?time(?:\s+today)?"
        r"|for\s+having\s+(?:me|us)|for\s+joining(?:\s+today)?)",
        r"can\s+(?:everyone|everybody|you|you\s+all)\s+(?:hear|see)\s+(?:me|my\s+screen)"
        r"(?:\s+(?:ok|okay|alright|fine|now))?",
        r"(?:did|do)\s+you\s+(?:have|had)\s+a\s+(?:good|nice|great|lovely|relaxing)\s+"
        r"(?:weekend|week|holiday|holidays|break|trip|day|summer)",
    )
)
_HOPE_TEXT = """i we hope hoping you you're are all is this email e-mail message finds find
    well doing good great fine having had a an nice lovely week weekend day everyone
    your going ok safe and the holidays break start to"""
_HOPE_WORDS = frozenset(_HOPE_TEXT.split())
_CLOSINGS = tuple(
    re.compile(p)
    for p in (
        r"(?:thanks|thank\s+you)(?:\s+so\s+much|\s+again)?\s+in\s+advance",
        r"(?:i\s+|we\s+)?(?:look|am\s+looking|are\s+looking|looking)\s+forward\s+to\s+"
        r"(?:hearing\s+(?:from\s+you|back)|your\s+(?:reply|response|answer)|speaking|talking)"
        r"(?:\s+soon)?",
        r"please\s+advise",
        r"any\s+(?:update|updates|help|news|feedback|info|information|input)(?:\s+on\s+this)?\s+"
        r"(?:would\s+be|is)\s+(?:much\s+|greatly\s+|really\s+|very\s+much\s+)?appreciated",
        r"let\s+(?:me|us)\s+know\s+if\s+(?:you\s+(?:need|have|require)\s+(?:anything|any)"
        r"(?:\s+(?:else|more|further|other))?(?:\s+(?:questions|information|info|details))?"
        r"(?:\s+from\s+(?:me|us))?|there(?:'s|\s+is)\s+anything\s+else(?:\s+\w+){0,4}"
        r"|(?:that|this|it)\s+(?:helps|works))",
        r"(?:i\s+)?hope\s+(?:this|that)\s+helps",
        r"have\s+a\s+(?:great|good|nice|lovely|wonderful)\s+(?:day|week|weekend|evening|one"
        r"|rest\s+of\s+(?:your|the)\s+(?:day|week))",
        r"(?:always\s+)?(?:happy|glad)\s+to\s+help",
        r"(?:talk|speak)\s+(?:to\s+you\s+)?soon|take\s+care|best\s+of\s+luck",
        r"(?:please\s+)?(?:feel\s+free|don't\s+hesitate)\s+to\s+(?:reply|reach\s+out|get\s+in\s+touch"
        r"|contact\s+(?:me|us)|let\s+(?:me|us)\s+know)(?:\s+(?:if|with|here|again)(?:\s+\w+){0,4})?",
        r"(?:thanks|thank\s+you)\s+(?:so\s+much\s+)?for\s+(?:your\s+|the\s+)?(?:help|time|patience"
        r"|support|understanding|assistance|quick\s+(?:reply|response))",
    )
)
#: Acknowledgements with a few more words than a filler: "thanks for flagging!".
_ACKNOWLEDGEMENTS = tuple(
    re.compile(p)
    for p in (
        r"(?:thanks|thank\s+you|ty)\s+(?:so\s+much\s+)?for\s+(?:flagging|the\s+heads\s+up"
        r"|letting\s+(?:me|us)\s+know|confirming|the\s+update)(?:\s+(?:this|that))?",
    )
)
_FILLER_TEXT = """ok okay okey k kk oki okie alright allright all right thanks thank thx thnx tks
    ty tysm cheers you so much very a lot bunch again ton great cool nice perfect awesome excellent
    wonderful brilliant fantastic amazing super lovely good fine sounds sound got it sure yep
    yeah yes yup yea ya makes sense interesting helpful that that's thats this is was it's
    mm mmm hmm hm mhm mm-hmm uh um huh ah oh aha wow lol haha appreciate appreciated noted
    understood will do try i i'll we we'll works worked for us me too exactly agreed indeed
    true absolutely definitely totally fair enough of course happy to likewise same here talk
    soon later see bye cya np on now
    danke dankeschön schön vielen dank merci beaucoup gracias muchas grazie mille obrigado
    obrigada bedankt tack så mycket tak dziękuję"""
_FILLER_WORDS = frozenset(_FILLER_TEXT.split())
_BOT_PATTERNS = tuple(
    re.compile(p)
    for p in (
        r"\b(?:i'm|i\s+am|this\s+is)\s+(?:the|an?|your)\s+(?:[\w-]+\s+){0,3}"
        r"(?:bot|assistant|virtual\s+agent|ai\s+agent|chatbot)\b",
        r"\b(?:a|one\s+of\s+our|our)\s+(?:member\s+of\s+(?:our|the)\s+(?:[\w-]+\s+)?team|teammates?"
        r"|team\s*members?|agents?|colleagues?|support\s+(?:team|agents?)|team|experts?)\s+will\b",
        r"\b(?:we|the\s+team|someone|they)(?:'ll|\s+will)\s+(?:get\s+back\s+to\s+you|be\s+in\s+touch"
        r"|be\s+with\s+you|reply|respond|follow\s+up)\b",
        r"\btypically\s+repl(?:y|ies)\b|\busually\s+(?:repl(?:y|ies)|responds?)\s+(?:in|within)\b",
        r"\b(?:passed|forwarded|sent|routed|assigned)\s+(?:your|this)\s+"
        r"(?:message|request|question|conversation|ticket)\b",
        r"\bin\s+the\s+meantime\b",
        r"\bhelp\s+(?:center|centre)\b|\bknowledge\s+base\b|\bfaqs?\b",
        r"^\W*(?:thanks|thank\s+you)\s+for\s+(?:reaching\s+out|contacting|your\s+message"
        r"|getting\s+in\s+touch|writing\s+in)",
        r"\bhow\s+can\s+(?:i|we)\s+help\b|\bwhat\s+can\s+(?:i|we)\s+help\s+you\s+with\b",
        r"\bwas\s+this\s+helpful\b|\brate\s+(?:your|this)\s+(?:conversation|experience|chat)\b",
    )
)
_BOT_LABEL_MAX_WORDS = 10
#: Sentences that only open a message ("Quick question.") or ask for help ("Any ideas?"): kept,
#: but never a unit alone. An opener joins the next sentence, an ask the previous one (as a short
#: sentence does), so "Is this a known issue?" does not become a theme of its own.
_OPENERS = tuple(
    re.compile(p)
    for p in (
        r"(?:a\s+|one\s+|just\s+a\s+)?(?:quick\s+)?question",
        r"(?:i'm\s+|i\s+am\s+|we're\s+|we\s+are\s+)?sorry\s+for\s+the\s+(?:long|late|delayed)\s+"
        r"(?:message|reply|email|e-mail|response)",
        r"(?:i'm\s+|i\s+am\s+|we're\s+|we\s+are\s+|just\s+)?following\s+up\s+on\s+(?:my|our|the|this)"
        r"(?:\s+[\w']+){0,2}\s+(?:message|email|e-mail|ticket|request|question)",
        r"(?:i'm\s+|i\s+am\s+)?not\s+sure\s+who\s+(?:to\s+ask|to\s+contact|to\s+reach\s+out\s+to"
        r"|else\s+to\s+ask)(?:\s+about\s+(?:this|it))?",
        r"(?:we|i)\s+(?:noticed|found|saw|have\s+noticed)\s+something\s+(?:odd|strange|weird|unusual)",
    )
)
_ASKS = tuple(
    re.compile(p)
    for p in (
        r"(?:can|could|would)\s+you\s+(?:please\s+)?(?:help(?:\s+(?:me|us))?(?:\s+with\s+this)?"
        r"|take\s+a\s+look|have\s+a\s+look|look\s+into\s+(?:this|it)|check|advise)(?:\s+please)?",
        r"is\s+(?:this|that|it)\s+a\s+known\s+(?:issue|bug|problem)",
        r"what(?:'s|\s+is)\s+the\s+(?:best\s+)?(?:way\s+forward|next\s+step|best\s+option)",
        r"any\s+(?:ideas|thoughts|suggestions|advice)",
        r"(?:[\w'-]+\s+){0,3}cc(?:\s+[\w'-]+){1,4}",  # "call recording cc @Sam Lee"
    )
)


# --- line rules -----------------------------------------------------------------------------------


def lines(text: str) -> list[tuple[int, int]]:
    """Character spans of the lines of ``text``, without the newline."""
    spans, start = [], 0
    for piece in text.split("\n"):
        spans.append((start, start + len(piece)))
        start += len(piece) + 1
    return spans


def words_of(text: str) -> list[str]:
    return _WORD.findall(_SLACK_EMOJI.sub(" ", text.replace("’", "'")))


def _is_contact(line: str) -> bool:
    return bool(
        _CONTACT.fullmatch(line) or (_TITLE_LINE.fullmatch(line) and len(words_of(line)) <= 10)
    )


def _is_sig_line(line: str, *, strict: bool) -> bool:
    """A line that fits in a signature: a name, a title, a company, contact details.

    ``strict`` (no sign-off before it): mostly capitalised words, or contact details.
    """
    if _is_contact(line):
        return True
    words = words_of(line)
    if not words or len(line) > 80 or len(words) > 8 or line.endswith(("?", ".", "!", ":")):
        return False
    if not strict:
        return True
    capitalised = sum(w[0].isupper() or w[0].isdigit() for w in words)
    return len(words) <= 6 and capitalised / len(words) >= 0.6


def is_auto_reply(text: str) -> bool:
    """Whether a turn is an out-of-office or other automatic reply (rule ``auto_reply``)."""
    text = text.strip()
    if not text or len(text) > AUTO_REPLY_MAX_CHARS:
        return False
    head = text[:300]
    if _AUTO_STRONG.search(head):
        return True
    # "I am out of the office until..." needs all three signals: a customer who mentions a
    # holiday in a real message ("I'm on leave until Monday, but the export...") is kept.
    return bool(
        _AUTO_ABSENT.search(head) and _AUTO_RETURN.search(text) and _AUTO_CONTEXT.search(text)
    )


def line_rules(text: str, rules: Iterable[str] = DROP_RULES) -> list[tuple[int, int, str]]:
    """The dropped line blocks of one turn: ``(start, end, rule)``, whole lines, in order.

    Covers the rules decided on lines: ``auto_reply`` (the whole turn), ``quoted_reply``,
    ``signature`` and ``sign_off`` lines (a valediction line in the turn's tail).
    """
    rules = set(rules)
    spans = lines(text)
    content = [text[s:e].strip() for s, e in spans]
    if "auto_reply" in rules and is_auto_reply(text):
        label: list[str | None] = ["auto_reply" if c else None for c in content]
        return _blocks(text, spans, label)
    label = [None] * len(spans)
    if "quoted_reply" in rules:
        _label_quotes(content, label)
    # Signatures and sign-offs sit at the end of each stretch of the turn's own text (before a
    # quoted reply, or at the end of the turn).
    i = 0
    while i < len(content):
        if label[i] is not None:
            i += 1
            continue
        j = i
        while j < len(content) and label[j] is None:
            j += 1
        _label_tail(content, label, i, j, rules)
        i = j
    return _blocks(text, spans, label)


def _label_quotes(content: list[str], label: list[str | None]) -> None:
    n = len(content)
    i = 0
    while i < n:
        line = content[i]
        header = 0
        if _ON_WROTE.fullmatch(line):
            header = 1
        elif (
            line.lower().startswith(("on ", "le ", "am ", "el "))
            and i + 1 < n
            and _ON_WROTE_TAIL.fullmatch(content[i + 1])
            and len(line) + len(content[i + 1]) < 300
        ):
            header = 2  # a client wrapped "On <date> <name> <email>\nwrote:"
        elif _ORIGINAL_MESSAGE.fullmatch(line) or (
            _HEADER_FROM.fullmatch(line)
            and any(_HEADER_FIELD.fullmatch(c) for c in content[i + 1 : i + 5])
        ):
            # Outlook-style: the rest of the turn is the earlier message, unprefixed.
            for k in range(i, n):
                label[k] = "quoted_reply" if content[k] else None
            return
        if header:
            k = i + header
            while k < n and (not content[k] or content[k].startswith(">")):
                k += 1
            while k > i + header and not content[k - 1]:
                k -= 1  # trailing blank lines belong to nobody
            for m in range(i, k):
                label[m] = "quoted_reply" if content[m] else None
            i = k
            continue
        if line.startswith(">") and i > 0 and _prev_label(content, label, i) == "quoted_reply":
            label[i] = "quoted_reply"
        i += 1


def _prev_label(content: list[str], label: list[str | None], i: int) -> str | None:
    for k in range(i - 1, -1, -1):
        if content[k]:
            return label[k]
    return None


def _label_tail(
    content: list[str], label: list[str | None], a: int, b: int, rules: set[str]
) -> None:
    """Label the sign-off and signature lines at the end of ``content[a:b]``."""
    nonblank = [k for k in range(a, b) if content[k]]
    if not nonblank:
        return
    if "signature" in rules:
        for pos, k in enumerate(nonblank):
            rest = nonblank[pos + 1 :]
            if (
                _SIG_DELIMITER.fullmatch(content[k])
                and 0 < len(rest) <= 12
                and all(_is_sig_line(content[m], strict=False) for m in rest)
            ):
                for m in [k, *rest]:
                    label[m] = "signature"
                nonblank = nonblank[:pos]
                break
    # Walk back over signature-like lines to a valediction ("Thanks," then "Sam", "Title | Co").
    sig: list[int] = []
    sign_off = None
    for pos in range(len(nonblank) - 1, -1, -1):
        k = nonblank[pos]
        if pos > 0 and SIGN_OFF_LINE.fullmatch(content[k]):
            sign_off = k
            break
        if len(sig) >= 8 or not _is_sig_line(content[k], strict=False):
            break
        sig.append(k)
    if sign_off is not None:
        if "sign_off" in rules:
            label[sign_off] = "sign_off"
        if "signature" in rules:
            for k in sig:
                label[k] = "signature"
        return
    if "signature" not in rules:
        return
    # No valediction: a trailing block of name/title/contact lines with contact details in it.
    block: list[int] = []
    for k in reversed(nonblank):
        if len(block) >= 8 or not _is_sig_line(content[k], strict=True):
            break
        block.append(k)
    if len(block) < len(nonblank) and any(_is_contact(content[k]) for k in block):
        for k in block:
            label[k] = "signature"
    elif block and all(_CONTACT.fullmatch(content[k]) for k in block):
        for k in block:  # a turn that is only "Sent from my iPhone" or contact details
            label[k] = "signature"


def _blocks(
    text: str, spans: list[tuple[int, int]], label: list[str | None]
) -> list[tuple[int, int, str]]:
    """Runs of equally labelled lines as ``(start, end, rule)``, blank lines joining a run."""
    out: list[tuple[int, int, str]] = []
    for (s, e), rule in zip(spans, label, strict=True):
        line = text[s:e]
        if rule is None:
            if line.strip() and out and out[-1][2] != "":
                out.append((s, e, ""))  # a kept line ends the run
            continue
        s += len(line) - len(line.lstrip())
        e -= len(line) - len(line.rstrip())
        if out and out[-1][2] == rule:
            out[-1] = (out[-1][0], e, rule)
        else:
            out.append((s, e, rule))
    return [b for b in out if b[2]]


# --- sentence rules -------------------------------------------------------------------------------


def _clause_kind(clause: str) -> str | None:
    """``greeting``, ``closing``, ``filler``, ``name`` or None (a clause with content)."""
    words = words_of(clause)
    if not words:
        return "empty"
    low = [w.lower() for w in words]
    joined = " ".join(low)
    first = 2 if low[0] == "good" and len(low) > 1 and low[1] in _DAYPARTS else 1
    if (low[0] in _SALUTATION or first == 2) and len(words) - first <= 4:
        rest = words[first:]
        if all(w.lower() in _ADDRESSEES or w[0].isupper() for w in rest):
            return "greeting"
    if any(p.fullmatch(joined) for p in _PLEASANTRIES):
        return "greeting"
    hoping = low[0] in {"hope", "hoping"} or low[:2] in (["i", "hope"], ["we", "hope"])
    if hoping and len(low) <= 10 and all(w in _HOPE_WORDS for w in low):
        return "greeting"
    if any(p.fullmatch(joined) for p in _CLOSINGS):
        return "closing"
    if all(w in _FILLER_WORDS for w in low) or any(p.fullmatch(joined) for p in _ACKNOWLEDGEMENTS):
        return "filler"
    if len(words) <= 3 and all(w[0].isupper() for w in words):
        return "name"
    return None


def phatic_rule(sentence: str) -> str | None:
    """The drop rule of a sentence that only greets, closes or acknowledges, else None.

    The sentence is cut into clauses at punctuation; it is dropped only when every clause is a
    greeting, a closing formula or a filler ("Great, thank you."), names aside ("Thanks, Sam").
    "Thanks for fixing the export, but dashboards are still slow" has content: kept.
    """
    clauses = _CLAUSE_SPLIT.split(_SLACK_EMOJI.sub(" ", sentence))
    kinds = [_clause_kind(c) for c in clauses if c.strip()]
    kinds = [k for k in kinds if k != "empty"]
    if not kinds:
        return "filler"  # emoji or punctuation alone
    if None in kinds or all(k == "name" for k in kinds):
        return None
    if "greeting" in kinds:
        return "greeting"
    if "closing" in kinds:
        return "sign_off"
    return "filler"


def leading_salutation(sentence: str) -> int:
    """Length of a leading "Hi Sam," in a sentence that goes on with content, else 0."""
    m = re.match(r"\s*[^,!:\n]{1,40}[,!:]+\s*", sentence)
    if m and m.end() < len(sentence) and _clause_kind(m.group(0).strip(" ,!:")) == "greeting":
        return m.end()
    return 0


def is_bot_sentence(sentence: str) -> bool:
    """A canned bot sentence ("A teammate will be with you shortly.")."""
    low = sentence.lower().replace("’", "'")
    return any(p.search(low) for p in _BOT_PATTERNS)


def _joined(sentence: str) -> str:
    return " ".join(w.lower() for w in words_of(sentence))


def is_weak(sentence: str) -> bool:
    """A sentence that only opens a message or asks for help ("Quick question.", "Any ideas?")."""
    joined = _joined(sentence)
    return any(p.fullmatch(joined) for p in (*_OPENERS, *_ASKS))


def is_lead_in(sentence: str) -> bool:
    """A heading or opener ("Next steps", "Quick question.") that belongs to what follows."""
    sentence = sentence.rstrip()
    joined = _joined(sentence)
    return (
        sentence.endswith(":")
        or not TERMINAL.search(sentence)
        or any(p.fullmatch(joined) for p in _OPENERS)
    )


def is_bot_label(text: str, s: int, e: int) -> bool:
    """Whether ``text[s:e]`` is a card label in a bot message ("New review :star:").

    A label is a whole line, not the last line (the relayed message), without final punctuation.
    """
    last_line = text.rstrip().rfind("\n")
    line_start = text.rfind("\n", 0, s) + 1
    line_end = text.find("\n", e)
    line_end = len(text) if line_end < 0 else line_end
    whole = not text[line_start:s].strip() and not text[e:line_end].strip()
    sentence = _SLACK_EMOJI.sub("", text[s:e]).strip()
    return (
        whole
        and line_start <= last_line
        and not TERMINAL.search(sentence)
        and len(words_of(sentence)) <= _BOT_LABEL_MAX_WORDS
    )


# --- a relayed passage inside a staff member's sentence -----------------------------------------

#: Characters a quotation needs to be a passage of its own (a customer's words, not a scare quote).
QUOTE_CHARS = 12
QUOTATION = re.compile(rf"[\"“«„]([^\"”»“\n]{{{QUOTE_CHARS},}})[\"”»“]")
#: The most words a frame before a colon has ("Passing this along from my QBR with Acme:"); a
#: longer sentence ending in a colon is content that goes on, not a frame.
MAX_FRAME_WORDS = 12
# a colon that introduces what follows: white space after it, not a time ("3:30"), a URL or a
# Slack emoji (":eyes:")
_LEAD_COLON = re.compile(r":(?=\s+\S)")


def _is_label(text: str) -> bool:
    """A line's label: a name of at most three capitalised words before a colon or a quotation
    ("Anika:", "- Pinecrest Energy:"), a speaker or an account rather than a frame."""
    words = text.strip().lstrip("-–—*•·[] ").rstrip(" :").split()
    return 0 < len(words) <= 3 and all(w[:1].isupper() for w in words)


def relay_pieces(sentence: str, *, min_words: int = 4) -> list[tuple[int, int, str | None]]:
    """A staff sentence cut where it passes on someone else's words, so the passage is a unit of
    its own: ``(start, end, kind)`` pieces in order, ``kind`` one of ``"quote"`` (a quotation of
    at least :data:`QUOTE_CHARS` characters and three words, its marks included), ``"lead"``
    (the frame before a colon that introduces a passage of at least ``min_words`` words:
    ``Heard from Acme:``) or ``None`` (the rest). One piece, ``(0, len, None)``, when there is
    nothing to cut.

        >>> relay_pieces('fyi, Acme said this today: "exports fail every night"')
        [(0, 26, None), (27, 53, 'quote')]
        >>> relay_pieces("Heard from Ana at Acme: the export fails every night")
        [(0, 23, 'lead'), (24, 52, None)]
    """
    cuts: list[tuple[int, int, str]] = []
    for m in QUOTATION.finditer(sentence):
        # words, not a quoted URL or code; a speaker's label keeps its words ("Anika: “...”")
        if len(m.group(1).split()) >= 3 and not _is_label(sentence[: m.start()]):
            cuts.append((m.start(), m.end(), "quote"))
    if not cuts:
        emoji = [(m.start(), m.end()) for m in _SLACK_EMOJI.finditer(sentence)]
        for m in _LEAD_COLON.finditer(sentence):
            at = m.start()
            if any(a <= at < b for a, b in emoji):
                continue
            before, after = sentence[:at], sentence[at + 1 :]
            if (
                "\n" not in before  # the frame is the colon's own line
                and 2 <= len(words_of(before)) <= MAX_FRAME_WORDS
                and len(words_of(after)) >= min_words
                and not _is_label(before)
            ):
                cuts.append((0, at + 1, "lead"))
            break  # only the first colon frames a passage
    if not cuts:
        return [(0, len(sentence), None)]
    pieces: list[tuple[int, int, str | None]] = []
    at = 0
    for a, b, kind in cuts:
        if a > at:
            pieces.append((at, a, None))
        pieces.append((a, b, kind))
        at = b
    if at < len(sentence):
        pieces.append((at, len(sentence), None))
    out: list[tuple[int, int, str | None]] = []
    for a, b, piece_kind in pieces:  # trimmed; a piece without a word joins the one before it
        raw = sentence[a:b]
        a, b = a + len(raw) - len(raw.lstrip()), b - len(raw) + len(raw.rstrip())
        if a >= b:
            continue
        if out and not words_of(sentence[a:b]):
            out[-1] = (out[-1][0], b, out[-1][2])
        else:
            out.append((a, b, piece_kind))
    return out
