"""The fictional world of the sample: Lumora, its people, its customers, and text composition.

Everything here is invented. E-mails use ``<company>.example.com`` domains, phone numbers the
ranges reserved for fiction (``555-0100``..``0199`` after a US area code, ``+44 20 7946 0xxx``),
card numbers are public test numbers, IBANs the published examples, IPs documentation ranges.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from _entities import (
    SCANNED_SLOTS,
    SLOT,
    SLOT_ENTITIES,
    Marks,
    Span,
    scan_template,
    scan_text,
    shift,
)
from _phrases import THEME_BY_ID
from _plan import SPIKE, SPIKE_CUSTOMER, SPIKE_INTERNAL

COMPANY = {
    "name": "Lumora",
    "description": "Lumora, a product-analytics platform for B2B teams",
    "domain": "lumora.example.com",
}
PRODUCTS = ("Lumora Analytics", "Lumora Mobile", "Lumora API")
FEATURES = (
    "Dashboards", "Alerts", "CSV export", "Scheduled reports", "API", "SSO/SAML",
    "Salesforce integration", "Permissions/roles", "Mobile app", "Billing", "Funnels", "Cohorts",
    "Audit log", "Slack integration", "Warehouse connector", "Annotations",
)  # fmt: skip
COMPETITORS = ("Datawise", "Metricly", "Chartbeam", "Trendspire")
RIVALS = ("Metricly", "Chartbeam", "Trendspire")  # Datawise only appears in its blind spot

FIRST_NAMES = (
    "Aaliyah", "Aarav", "Abel", "Adaeze", "Aiko", "Alejandro", "Amara", "Amir", "Ana", "Anders",
    "Anika", "Arjun", "Astrid", "Ayesha", "Bea", "Benedikt", "Bilal", "Bruno", "Camila", "Chen",
    "Chiara", "Chidi", "Clara", "Dana", "Daniel", "Darius", "Deepa", "Diego", "Dmitri", "Elena",
    "Elif", "Emeka", "Emma", "Ethan", "Fatima", "Felix", "Freya", "Gabriel", "Grace", "Hana",
    "Hannah", "Hugo", "Ibrahim", "Ines", "Isaac", "Ivy", "Jamal", "Javier", "Jin", "Joanna",
    "Jonas", "Jordan", "Julia", "Kai", "Kavya", "Keisha", "Kenji", "Laila", "Lars", "Leah",
    "Leon", "Lina", "Lucas", "Luis", "Maeve", "Malik", "Maria", "Mateo", "Maya", "Mei",
    "Mira", "Mohammed", "Nadia", "Naomi", "Nikhil", "Nils", "Noah", "Nora", "Olivia", "Omar",
    "Oscar", "Pablo", "Priya", "Rafael", "Rania", "Ravi", "Rhea", "Rosa", "Ruth", "Samir",
    "Sara", "Sean", "Sofia", "Soren", "Tariq", "Tessa", "Theo", "Tomas", "Uma", "Valentina",
    "Victor", "Wei", "Yara", "Yusuf", "Zara", "Zoe", "Marcus", "Helen", "Patrick", "Ingrid",
)  # fmt: skip
LAST_NAMES = (
    "Abara", "Adeyemi", "Alvarez", "Andersson", "Bakker", "Banerjee", "Becker", "Bianchi",
    "Brennan", "Castillo", "Chandra", "Chen", "Costa", "Dalton", "Dubois", "Eriksen", "Farouk",
    "Fischer", "Fontaine", "Garcia", "Gallagher", "Haddad", "Hansen", "Hartley", "Ito",
    "Jansen", "Kaur", "Keller", "Kim", "Kowalski", "Lindqvist", "Lopez", "Mahmoud", "Marsh",
    "Mbeki", "Mendes", "Morales", "Murphy", "Nair", "Nakamura", "Novak", "Nyberg", "Obi",
    "Okafor", "Olsen", "Ortiz", "Park", "Patel", "Pereira", "Petrov", "Quinn", "Ramos", "Reyes",
    "Rossi", "Sato", "Schmidt", "Shah", "Silva", "Sokolov", "Suzuki", "Tanaka", "Thompson",
    "Torres", "Varga", "Vogel", "Walsh", "Weber", "Whitfield", "Wright", "Yamamoto", "Zhang",
    "Ziegler", "Holloway", "Ferreira", "Lindgren", "Moreau", "Osei", "Pham", "Rahman", "Sundberg",
)  # fmt: skip

ACCOUNT_NAMES = (
    "Acme Logistics", "Brightlane Health", "Copperleaf Finance", "Bluefin Freight",
    "Harborview Realty", "Quillstone Media", "Tallpine Software", "Redwood Dental Group",
    "Sableridge Insurance", "Northwind Outfitters", "Oakhaven Schools", "Pinecrest Energy",
    "Silverline Travel", "Meridian Biotech", "Foxglove Retail", "Granite Peak Capital",
    "Lakeshore Foods", "Ironbark Manufacturing", "Juniper Telecom", "Kestrel Aviation",
    "Larkspur Fashion", "Marigold Hospitality", "Nimbus Cloudworks", "Orchid Pharma",
    "Peregrine Legal", "Quasar Robotics", "Riverbend Credit Union", "Saffron Kitchens",
    "Tidewater Ports", "Umbra Security", "Vantage Mobility", "Willowbrook Clinics",
    "Yellowfin Games", "Zephyr Wind Power", "Amberfield Farms", "Bramble Books",
    "Cobalt Payments", "Driftwood Studios", "Evergreen Insurance", "Fernhill Academy",
    "Glimmer Cosmetics", "Hollowtree Outdoor", "Indigo Freight", "Jadeport Shipping",
    "Keystone Staffing", "Lumen Learning Co", "Maplewood Homes", "Nightjar Labs",
    "Opal Dental", "Parsec Aerospace", "Quartzline Data", "Rosewater Hotels",
    "Stonebridge Bank", "Thistle Apparel", "Upland Coffee Roasters", "Verdant Grocers",
    "Wavecrest Media", "Xylo Audio", "Yarrow Health", "Zinnia Events",
)  # fmt: skip
REGIONS = (("US", 0.5), ("UK", 0.15), ("DE", 0.1), ("FR", 0.06), ("NL", 0.06), ("CA", 0.07),
           ("IE", 0.03), ("SE", 0.03))  # fmt: skip
EU = {"DE", "FR", "NL", "IE", "SE", "UK"}
TITLES = (
    "Head of Data", "Analytics Lead", "VP Operations", "Product Manager", "Data Analyst",
    "IT Administrator", "Director of RevOps", "CFO", "Marketing Ops Manager", "CTO",
    "Senior Analyst", "Operations Manager", "BI Engineer", "Head of Growth",
)  # fmt: skip
EMPLOYEE_ROLES = {
    "Support": ("Support Engineer", "Senior Support Engineer", "Support Lead"),
    "Success": ("Customer Success Manager", "Onboarding Specialist", "Head of Customer Success"),
    "Sales": ("Account Executive", "Sales Engineer", "Sales Development Rep", "VP Sales"),
    "Marketing": ("Product Marketing Manager", "Growth Marketer", "Content Lead"),
    "Product": (
        "Product Manager",
        "Senior Product Manager",
        "UX Researcher",
        "Engineering Manager",
    ),
}
STAFF_PER_FUNCTION = {"Support": 8, "Success": 6, "Sales": 6, "Marketing": 4, "Product": 5}

SLOTS: dict[str, tuple[str, ...]] = {
    "feature": FEATURES,
    "rival": RIVALS,
    "competitor": RIVALS,
    "idp": ("Okta", "Azure AD", "OneLogin", "Google Workspace", "our ADFS server", "JumpCloud"),
    "n": ("two", "three", "four", "five", "a dozen", "several", "6", "12", "20"),
    "pct": ("15%", "20%", "25%", "30%", "35%", "50%", "12%", "18%"),
    "browser": ("Chrome", "Firefox", "Safari", "Edge"),
    "dashboard": (
        "Weekly Revenue", "Activation Funnel", "Churn Cohorts", "Exec Overview",
        "Pipeline Health", "Feature Adoption", "Marketing Attribution", "Q3 KPIs",
        "Retention by Plan", "Ops Daily", "Board Pack", "Trial Conversion",
    ),
    "obj": ("Opportunity", "Account", "Contact", "Lead", "Campaign"),
    "error": ("500", "502 Bad Gateway", "ERR_EXPORT_TIMEOUT", "E1042", "403 Forbidden",
              "'Something went wrong (code 7781)'", "504 Gateway Timeout"),
    "role": ("Viewer", "Editor", "Analyst", "Workspace Admin", "Billing Admin"),
    "team": ("finance team", "ops team", "RevOps team", "growth team", "exec team",
             "support leads", "data team", "sales managers", "product team", "leadership team"),
    "device": ("iPhone 15", "Pixel 8", "iPad Air", "Galaxy S23", "iPhone 13"),
    "when": ("since Tuesday", "since yesterday", "for two days now", "since last week",
             "this morning", "since the weekend", "for about a week", "since Monday"),
    "rows": ("50k", "120,000", "2 million", "300k", "800k", "1.5M"),
    "secs": ("30 seconds", "45 seconds", "over a minute", "2-3 minutes", "20+ seconds",
             "almost 5 minutes"),
    "seats": ("25", "40", "60", "120", "250", "400", "75"),
    "price": ("$18k", "$24,000", "$32k", "$45k", "$60,000", "$85k"),
    "deadline": ("end of quarter", "our board meeting", "the renewal date", "Friday",
                 "month end", "our Q4 planning", "the end of October"),
    "region": ("EU", "Frankfurt region", "UK", "Ireland region", "Germany"),
    "metric": ("weekly active users", "MRR", "activation rate", "conversion", "retention",
               "churn", "signups", "revenue"),
    "tool": ("spreadsheets", "Google Sheets", "a homegrown tool", "Excel", "our old BI setup"),
    "weekday": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"),
    "cert": ("signing certificate", "x509 certificate", "SAML certificate"),
    "num": ("2", "3", "4", "5", "6", "8", "10", "15"),
    "doc": ("help center", "API docs", "admin guide", "release notes", "security overview"),
    "benefit": ("track {metric} across the {team}", "replace {tool} for weekly reporting",
                "give the {team} one source of truth", "see {metric} by plan and region",
                "spot drops in {metric} early", "share dashboards with the {team}"),
}  # fmt: skip

GREETINGS = ("Hi team,", "Hello,", "Hi there,", "Hey,", "Good morning,", "Hi all,", "Dear support,",
             "Hello Lumora team,", "Hi folks,")  # fmt: skip
NAMED_GREETINGS = ("Hi {name},", "Hello {name},", "Hey {name},", "Dear {name},", "Hi {name}!")
AGENT_GREETINGS = (
    "Hi {name},",
    "Hello {name},",
    "Hi {name}!",
    "Hey {name},",
    "Hi there,",
    "Hello,",
)
OPENERS = (
    "", "", "", "Hope you're well.", "Quick question.", "Not sure who to ask about this.",
    "Following up on my colleague's message.", "This is getting a bit urgent for us.",
    "Sorry for the long message.", "We noticed something odd.",
)  # fmt: skip
CONNECTORS = ("Also, ", "Separately, ", "On another note, ", "One more thing: ", "Unrelated, but ",
              "While I have you, ", "Oh and ", "")  # fmt: skip
ASKS = (
    "Can you take a look?", "Any update would be appreciated.", "Could you help?",
    "Please advise.", "Let me know if you need anything else from us.",
    "What's the best way forward?", "Is this a known issue?", "Thanks in advance!",
    "Looking forward to hearing from you.", "",
)  # fmt: skip
SIGNOFFS = (
    "Thanks,", "Best,", "Cheers,", "Regards,", "Kind regards,", "Thank you,", "Best regards,",
    "Many thanks,", "Thx,",
)  # fmt: skip
FILLERS = (
    "ok thanks!", "Thanks, that worked!", "Great, thank you.", "Perfect, thanks a lot!",
    "ok will try", "Got it, thanks.", "thx", "Cool, appreciate it 🙏", "Works now 👍",
)  # fmt: skip
EMOJI = ("🙏", "😅", "👍", "🙂", "😕", "🎉", "🔥")
SLACK_EMOJI = (":eyes:", ":sweat_smile:", ":thumbsup:", ":pray:", ":rotating_light:", ":tada:",
               ":grimacing:", ":fire:")  # fmt: skip
AUTO_REPLIES = (
    "Thank you for your email. I am out of the office until {date} with limited access to email. "
    "For urgent matters please contact {other}.",
    "Automatic reply: I'm currently on leave and will respond when I'm back on {date}.",
    "This is an automated response. Your message has been received and will be read when I return "
    "on {date}.",
)
# First words that keep their capital when a sentence is joined after "Also, " or "Um, ".
KEEP_CASE = (
    {"I", "Lumora", "Salesforce", "Datawise", "Excel", "Slack", "Okta", "Google", "Azure"}
    | set(RIVALS)
    | {name.split()[0] for name in ACCOUNT_NAMES}
    | set(FIRST_NAMES)
)
WORD = re.compile(r"\b[a-z]{5,}\b")
START = datetime(2026, 8, 3, tzinfo=UTC)
END = datetime(2026, 10, 31, tzinfo=UTC)
TEST_CARDS = ("4111 1111 1111 1111", "5555 5555 5555 4444", "4012 8888 8888 1881")
TEST_IBANS = ("GB82 WEST 1234 5698 7654 32", "DE89 3704 0044 0532 0130 00")


@dataclass
class Person:
    """A person: a customer contact or a Lumora employee."""

    first: str
    last: str
    email: str
    phone: str
    title: str
    company: str
    function: str | None = None  # Lumora employees only
    ids: dict[str, str] = field(default_factory=dict)  # per-vendor ids

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


@dataclass
class Account:
    """A customer company."""

    name: str
    slug: str
    domain: str
    size: str
    plan: str
    region: str
    employees: int
    weight: float
    contacts: list[Person] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)


class World:
    """Lumora's staff and customers, built from one seed."""

    def __init__(self, seed: int):
        rng = random.Random(f"{seed}/world")
        self.rng = rng
        used: set[str] = set()
        self.accounts: list[Account] = []
        for i, name in enumerate(ACCOUNT_NAMES):
            slug = re.sub(r"[^a-z0-9]+", "", name.lower())
            size = "Enterprise" if i % 5 == 0 else ("Mid-Market" if i % 5 in (1, 2) else "SMB")
            plan = {"Enterprise": "Enterprise", "Mid-Market": "Growth", "SMB": "Starter"}[size]
            if size == "SMB" and rng.random() < 0.3:
                plan = "Growth"
            region = rng.choices([r for r, _ in REGIONS], [w for _, w in REGIONS])[0]
            low, high = {"Enterprise": (2000, 20000), "Mid-Market": (200, 1800), "SMB": (15, 180)}[
                size
            ]
            employees = rng.randint(low, high)
            weight = {"Enterprise": 3.0, "Mid-Market": 1.6, "SMB": 0.8}[size] * rng.uniform(
                0.6, 1.4
            )
            acct = Account(name, slug, f"{slug}.example.com", size, plan, region, employees, weight)
            for _ in range(rng.randint(3, 5) if size == "Enterprise" else rng.randint(2, 3)):
                acct.contacts.append(self._person(used, acct.name, acct.domain, region, None))
            acct.ids["salesforce"] = (
                "0013t0000"
                + "".join(
                    rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz0123456789")
                    for _ in range(6)
                )
                + "AAM"
            )
            self.accounts.append(acct)
        self.account_by_name = {a.name: a for a in self.accounts}
        self.staff: dict[str, list[Person]] = {}
        for function, count in STAFF_PER_FUNCTION.items():
            people = []
            for k in range(count):
                p = self._person(
                    used, "Lumora", COMPANY["domain"], "US" if k % 3 else "UK", function
                )
                p.title = EMPLOYEE_ROLES[function][
                    min(k, len(EMPLOYEE_ROLES[function]) - 1)
                    if k < 2
                    else k % len(EMPLOYEE_ROLES[function])
                ]
                people.append(p)
            self.staff[function] = people

    def _person(self, used: set[str], company: str, domain: str, region: str,
                function: str | None) -> Person:  # fmt: skip
        rng = self.rng
        while True:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            if f"{first} {last}" not in used:
                used.add(f"{first} {last}")
                break
        style = rng.random()
        local = (f"{first}.{last}" if style < 0.6 else f"{first[0]}{last}" if style < 0.85
                 else first).lower()  # fmt: skip
        title = rng.choice(TITLES)
        return Person(
            first, last, f"{local}@{domain}", phone(rng, region), title, company, function
        )

    def pick_account(self, rng: random.Random, theme: str | None = None) -> Account:
        """A customer, big accounts more often; EU accounts for data-residency questions."""
        pool = self.accounts
        if theme == "data_residency_gdpr" and rng.random() < 0.8:
            pool = [a for a in self.accounts if a.region in EU]
        elif theme == "sso_saml_login_failures" and rng.random() < 0.7:
            pool = [a for a in self.accounts if a.size != "SMB"]
        return rng.choices(pool, [a.weight for a in pool])[0]


def phone(rng: random.Random, region: str) -> str:
    """A fictional phone number in one of several common spellings."""
    if region in ("UK", "IE"):
        n = rng.randint(0, 999)
        return rng.choice(
            (f"+44 20 7946 0{n:03d}", f"+44 (0)20 7946 0{n:03d}", f"020 7946 0{n:03d}")
        )
    # Area code, then the 555-0100..0199 line numbers reserved for fiction.
    a, b = rng.choice((212, 312, 415, 617, 646, 720, 206, 512)), rng.randint(100, 199)
    return rng.choice(
        (f"+1 {a}-555-0{b}", f"+1 ({a}) 555-0{b}", f"+1 {a} 555 0{b}", f"({a}) 555-0{b}")
    )


class Pii:
    """Collects the personal data planted in one item's text."""

    def __init__(self) -> None:
        self.found: list[tuple[str, str, str]] = []

    def add(self, kind: str, value: str, where: str = "text") -> str:
        """Record ``value`` (found in the item's ``where``: text, or a named field); return it."""
        if (kind, value, where) not in self.found:
            self.found.append((kind, value, where))
        return value

    def person(self, p: Person, *, email: bool = False, phone: bool = False) -> None:
        self.add("name", p.name)
        if email:
            self.add("email", p.email)
        if phone:
            self.add("phone", p.phone)


@dataclass
class Ctx:
    """What one item is about: who, which account, when, which themes."""

    rng: random.Random
    themes: list[str]
    when: datetime
    account: Account | None = None
    customer: Person | None = None
    employee: Person | None = None
    pii: Pii = field(default_factory=Pii)
    spike: bool = False
    used: set[str] = field(default_factory=set)
    marks: Marks = field(default_factory=Marks)  # entity mentions of the strings composed

    def fill(self, template: str) -> str:
        """Fill ``{slot}`` placeholders; names used are recorded as personal data, entity
        mentions (see ``_entities``) in ``marks``."""
        text, spans = self._fill(template)
        self.marks.add(text, spans)
        return text

    def _fill(self, template: str) -> tuple[str, list[Span]]:
        """The filled template and its mentions: slot fillers that are entity names, and the
        lexicon's words in the template's own text and in scanned slot values."""
        out: list[str] = []
        spans: list[Span] = []
        moved: list[tuple[int, int, int]] = []  # literal text: template start, end, shift
        at = last = 0
        for m in SLOT.finditer(template):
            moved.append((last, m.start(), at - last))
            out.append(template[last : m.start()])
            at += m.start() - last
            key = m.group(1)
            value = self._slot(key)
            if key in SLOTS and "{" in value:  # a template itself ({benefit})
                value, inner = self._fill(value)
                spans += shift(inner, at)
            elif key in SLOT_ENTITIES:
                kind, ids = SLOT_ENTITIES[key]
                spans.append((at, at + len(value), kind, ids[value]))
            elif key in SCANNED_SLOTS:
                spans += shift(scan_text(value), at)
            out.append(value)
            at += len(value)
            last = m.end()
        moved.append((last, len(template), at - last))
        out.append(template[last:])
        for s, e, kind, eid in scan_template(template):
            by = next(d for a, b, d in moved if a <= s and e <= b)
            spans.append((s + by, e + by, kind, eid))
        return "".join(out), sorted(spans)

    def _slot(self, key: str) -> str:
        """One slot's value, unfilled (a value may hold slots of its own)."""
        if key == "account":
            return self.account.name if self.account else "a customer"
        if key == "agent":
            if self.employee is None:
                return "your team"
            return self.pii.add("name", self.employee.first)
        if key == "contact":
            return self.pii.add("name", self.customer.first) if self.customer else "there"
        if key == "ticket":
            return f"LUM-{self.rng.randint(1000, 9999)}"
        return self.rng.choice(SLOTS[key])

    def typo(self, text: str, rate: float = 0.1) -> str:
        """Swap or drop a letter in one longer lowercase word, in about ``rate`` of calls."""
        if self.rng.random() >= rate:
            return text
        words = list(WORD.finditer(text))
        if not words:
            return text
        m = self.rng.choice(words)
        w, i = m.group(0), self.rng.randint(1, len(m.group(0)) - 2)
        swap = self.rng.random() < 0.6
        w = w[:i] + w[i + 1] + w[i] + w[i + 2 :] if swap else w[:i] + w[i + 1 :]
        new = text[: m.start()] + w + text[m.end() :]
        return self.marks.edit(new, text, m.start() + i, 0 if swap else 1)

    def theme_sentences(self, theme: str, kind: str, k: int = 1) -> list[str]:
        """``k`` distinct filled sentences of one kind for ``theme`` (spike-aware)."""
        t = THEME_BY_ID[theme]
        pool = list(getattr(t, kind))
        if self.spike and theme == SPIKE["theme"]:
            if kind in ("customer", "subjects", "short"):
                pool = list(SPIKE_CUSTOMER)
            elif kind == "internal":
                pool = list(SPIKE_INTERNAL)
        fresh = [s for s in pool if s not in self.used]
        if len(fresh) >= k:
            pool = fresh
        picks = self.rng.sample(pool, min(k, len(pool)))
        self.used.update(picks)
        return [self.fill(s) for s in picks]

    def customer_body(self, *, long: bool = True, typos: bool = True) -> list[str]:
        """Paragraphs of a customer message about this item's themes (no greeting/signature)."""
        rng = self.rng
        first, *others = self.themes or ["praise_positive"]
        paras: list[str] = []
        main = self.theme_sentences(first, "customer", 2 if long and rng.random() < 0.5 else 1)
        if long and rng.random() < 0.6:
            main += self.theme_sentences(first, "detail")
        opener = rng.choice(OPENERS)
        if opener:
            main.insert(0, opener)
        paras.append(" ".join(self.typo(s) if typos else s for s in main))
        for other in others:
            kind = "customer" if rng.random() < 0.7 else "detail"
            s = self.theme_sentences(other, kind)[0]
            conn = rng.choice(CONNECTORS)
            s = self.marks.derive(conn + (lower_first(s) if conn else s), s, len(conn))
            paras.append(self.typo(s) if typos else s)
        ask = rng.choice(ASKS)
        if ask and long:
            paras.append(ask + (" " + rng.choice(EMOJI) if rng.random() < 0.08 else ""))
        return paras

    def internal_text(self, *, k: int = 1) -> str:
        """An employee relaying this item's themes, one sentence per theme."""
        first, *others = self.themes or ["praise_positive"]
        out = self.theme_sentences(first, "internal", k)
        out += [self.theme_sentences(o, "internal")[0] for o in others]
        return " ".join(out)

    def signature(self, person: Person, *, full: bool = True) -> str:
        """A sign-off with an email signature; the name (and contact details) are PII."""
        rng = self.rng
        name = person.first if rng.random() < 0.3 else person.name
        lines = [rng.choice(SIGNOFFS), self.pii.add("name", name)]
        if full:
            lines.append(f"{person.title} | {person.company}")
            if rng.random() < 0.8:
                lines.append(
                    f"{'Tel' if rng.random() < 0.5 else 'M'}: {self.pii.add('phone', person.phone)}"
                )
            if rng.random() < 0.4:
                lines.append(self.pii.add("email", person.email))
        return "\n".join(lines)

    def greeting(self, name: str | None = None, *, agent: bool = False) -> str:
        """A greeting line; an agent greets the customer, a customer greets the team or agent."""
        if agent:
            line = self.rng.choice(AGENT_GREETINGS)
            return line.format(name=self.pii.add("name", name)) if "{name}" in line else line
        if name and self.rng.random() < 0.6:
            return self.rng.choice(NAMED_GREETINGS).format(name=self.pii.add("name", name))
        return self.rng.choice(GREETINGS)


def lower_first(sentence: str) -> str:
    """Lower-case the first letter, unless the first word is a name or an acronym."""
    word = sentence.split(" ", 1)[0].strip(",.:;!?'")
    keep = word in KEEP_CASE or word.startswith(("I'", "{")) or any(c.isupper() for c in word[1:])
    return sentence if keep or not word else sentence[0].lower() + sentence[1:]


def iso_z(dt: datetime) -> str:
    """``2026-08-03T14:05:09Z``."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(dt: datetime) -> int:
    return int(dt.timestamp())


def iso_week(dt: datetime) -> str:
    y, w, _ = dt.isocalendar()
    return f"{y}-W{w:02d}"


def email_date(dt: datetime) -> str:
    """``Tue, Sep 3, 2026 at 10:14 AM`` as in quoted-reply headers."""
    hour = dt.hour % 12 or 12
    return (
        f"{dt:%a}, {dt:%b} {dt.day}, {dt.year} at {hour}:{dt:%M} {'AM' if dt.hour < 12 else 'PM'}"
    )


class Calendar:
    """Samples timestamps over the sample period, weighted by weekday, week and hour."""

    def __init__(self, *, weekend: float = 0.2, week_weights: dict[str, float] | None = None):
        self.days: list[date] = []
        self.weights: list[float] = []
        d = START.date()
        while d < END.date():
            w = weekend if d.weekday() >= 5 else 1.0
            wk = iso_week(datetime(d.year, d.month, d.day, tzinfo=UTC))
            # Volume grows slowly over the quarter, as the customer base does.
            w *= (1 + 0.15 * (d - START.date()).days / 90) * (week_weights or {}).get(wk, 1.0)
            if w > 0:
                self.days.append(d)
                self.weights.append(w)
            d += timedelta(days=1)

    def sample(self, rng: random.Random, n: int) -> list[datetime]:
        """``n`` sorted timestamps, mostly in European and American working hours."""
        out = []
        for d in rng.choices(self.days, self.weights, k=n):
            hour = rng.choices((7, 9, 11, 13, 15, 17, 19, 21, 23), (1, 3, 4, 5, 6, 5, 4, 2, 1))[0]
            out.append(datetime(d.year, d.month, d.day, tzinfo=UTC)
                       + timedelta(hours=hour, seconds=rng.randint(0, 7199)))  # fmt: skip
        return sorted(out)


def plan_themes(rng: random.Random, function: str, when: datetime,
                shares: dict[str, float]) -> list[str]:  # fmt: skip
    """The main theme and 0-2 secondary themes of one item, spike-aware."""
    names = list(shares)
    week = iso_week(when)
    factor = SPIKE["weight_factor"] if week == SPIKE["week"] else 1.0
    if week == "2026-W39":
        factor = SPIKE["tail_factor"]
    weights = [shares[n] * (factor if n == SPIKE["theme"] else 1.0) for n in names]
    main = rng.choices(names, weights)[0]
    themes = [main]
    extra = rng.choices((0, 1, 2), (0.45, 0.4, 0.15))[0]
    for _ in range(extra):
        cand = rng.choices(names, weights)[0]
        if cand not in themes:
            themes.append(cand)
    return themes


def spike_week(when: datetime) -> bool:
    return iso_week(when) == SPIKE["week"]
