"""Labelled contact/customer sets for judging Auto Match: the truth is known, the noise is real.

``labelled_set(size, seed)`` makes people and businesses until about ``size`` of them are host
contacts, and writes each one as a host contact, a QuickBooks customer, or both, each side with its
own noise: case, punctuation, accents, spacing, "Last, First", business suffixes, "The",
"&"/"and", nicknames, middle initials, typos, emails in other case or missing or changed, phones in
other formats or missing or changed. Traps are added on purpose: namesakes (a different person with
the same name and other email and phone), relatives (another first name, same last name and email),
and dense families, each member on both sides:

- businesses sharing a base name with different suffixes ("Holber Design Corp", "Holber Design
  Company", "Holber Design Corporation", "Holber Design"), each a different business, run from one
  office whose phone most of them give and whose email many do. The suffix is what tells them
  apart, so each side writes it as given (dots and case aside) and leaves it out only now and then:
  the suffix swaps of ordinary businesses would make the truth unknowable;
- people sharing a first name, each with another last name;
- one person twice, as two clients with the same name and phone and a different email each (say,
  on their own and as a sole trader). Each record is its own client: the truth pairs the contact
  and the customer with the same email, so that email is never lost (its case may change).

Same seed, same set.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from flask_wsqb.matching import Match, MatchRecord

FIRST_NAMES = (
    "Robert William Elizabeth Michael James Katherine Richard Thomas John Joseph Charles "
    "Christopher Daniel David Edward Margaret Patricia Patrick Anthony Andrew Alexander Benjamin "
    "Samuel Steven Matthew Nicholas Jennifer Jessica Susan Deborah Rebecca Victoria Timothy "
    "Gregory Jeffrey Kenneth Ronald Donald Lawrence Raymond Douglas Frederick Henry Theodore "
    "Zachary Joshua Peter Philip Abigail Amanda Cynthia Dorothy Kimberly Pamela Judith Valerie "
    "Mary Sarah Linda Karen Nancy Lisa Betty Sandra Ashley Emily Donna Michelle Carol Melissa "
    "Laura Helen Anna Brian Kevin Jason Gary Eric Stephen Larry Scott Frank Brandon Raymond "
    "Jose Maria Sofia Lucia Chloe Zoe Renee Andre Francois Soren Bjorn Noemi Ines Ramon Angel "
    "Priya Wei Hiroshi Aisha Omar Fatima Yusuf Mei Arjun Olga Ivan Dmitri Lars Ingrid Sean "
    "Siobhan Declan Tariq Leila Nadia Hugo Elena Marco Giulia Pierre Camille Diego Carmen"
).split()
ACCENTED = {
    "Jose": "José",
    "Maria": "María",
    "Sofia": "Sofía",
    "Lucia": "Lucía",
    "Chloe": "Chloé",
    "Zoe": "Zoë",
    "Renee": "Renée",
    "Andre": "André",
    "Francois": "François",
    "Soren": "Søren",
    "Bjorn": "Björn",
    "Noemi": "Noémi",
    "Ines": "Inés",
    "Ramon": "Ramón",
    "Angel": "Ángel",
    "Elena": "Eléna",
    "Garcia": "García",
    "Muller": "Müller",
    "Nunez": "Núñez",
    "Lopez": "López",
    "Perez": "Pérez",
    "Gonzalez": "González",
    "Rodriguez": "Rodríguez",
    "Hernandez": "Hernández",
    "Jimenez": "Jiménez",
    "Bjork": "Björk",
    "Cote": "Côté",
    "Lefevre": "Lefèvre",
    "Schroder": "Schröder",
}
LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Martin "
    "Jackson Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott "
    "Hill Green Adams Baker Nelson Carter Mitchell Roberts Turner Phillips Campbell Parker Evans "
    "Edwards Collins Stewart Morris Rogers Reed Cook Morgan Bell Murphy Bailey Cooper Richardson "
    "Cox Howard Ward Peterson Gray James Watson Brooks Kelly Sanders Price Bennett Wood Barnes "
    "Ross Henderson Coleman Jenkins Perry Powell Long Patterson Hughes Flores Washington Butler "
    "Simmons Foster Bryant Alexander Russell Griffin Hayes Myers Ford Hamilton Graham Sullivan "
    "Wallace West Cole Jordan Reynolds Fisher Ellis Harrison Gibson McDonald O'Brien O'Connor "
    "MacLeod Garcia Muller Nunez Lopez Perez Gonzalez Rodriguez Hernandez Jimenez Bjork Cote "
    "Lefevre Schroder Nguyen Tran Kim Park Chen Wang Li Zhang Patel Shah Singh Khan Ali Cohen "
    "Levy Rossi Russo Ferrari Dubois Moreau Laurent Novak Horvat Kowalski Nowak Ivanov Petrov "
    "Jansen DeVries Svensson Larsen Hansen Nielsen Murray Byrne Quinn Walsh Doyle Ryan"
).split()
NICKNAMES = {
    "Robert": ["Bob", "Rob", "Bobby"],
    "William": ["Bill", "Will", "Billy"],
    "Elizabeth": ["Liz", "Beth", "Betty"],
    "Michael": ["Mike", "Mick"],
    "James": ["Jim", "Jimmy"],
    "Katherine": ["Kate", "Kathy", "Katie"],
    "Richard": ["Rick", "Dick", "Rich"],
    "Thomas": ["Tom", "Tommy"],
    "Joseph": ["Joe", "Joey"],
    "Charles": ["Charlie", "Chuck"],
    "Christopher": ["Chris"],
    "Daniel": ["Dan", "Danny"],
    "David": ["Dave"],
    "Edward": ["Ed", "Eddie", "Ted"],
    "Margaret": ["Maggie", "Peggy", "Meg"],
    "Patricia": ["Pat", "Patty", "Trish"],
    "Patrick": ["Pat"],
    "Anthony": ["Tony"],
    "Andrew": ["Andy", "Drew"],
    "Alexander": ["Alex"],
    "Benjamin": ["Ben"],
    "Samuel": ["Sam"],
    "Steven": ["Steve"],
    "Matthew": ["Matt"],
    "Nicholas": ["Nick"],
    "Jennifer": ["Jen", "Jenny"],
    "Jessica": ["Jess"],
    "Susan": ["Sue"],
    "Deborah": ["Deb", "Debbie"],
    "Rebecca": ["Becky"],
    "Victoria": ["Vicky"],
    "Timothy": ["Tim"],
    "Gregory": ["Greg"],
    "Jeffrey": ["Jeff"],
    "Kenneth": ["Ken"],
    "Ronald": ["Ron"],
    "Donald": ["Don"],
    "Lawrence": ["Larry"],
    "Raymond": ["Ray"],
    "Douglas": ["Doug"],
    "Frederick": ["Fred"],
    "Henry": ["Hank"],
    "Theodore": ["Ted", "Theo"],
    "Zachary": ["Zach"],
    "Joshua": ["Josh"],
    "Peter": ["Pete"],
    "Philip": ["Phil"],
    "Abigail": ["Abby"],
    "Amanda": ["Mandy"],
    "Cynthia": ["Cindy"],
    "Dorothy": ["Dot"],
    "Kimberly": ["Kim"],
    "Pamela": ["Pam"],
    "Judith": ["Judy"],
    "Valerie": ["Val"],
    "Stephen": ["Steve"],
    "Sandra": ["Sandy"],
}
TRADES = (
    "Plumbing Dental Bakery Consulting Landscaping Construction Electric Roofing Catering "
    "Accounting Fitness Photography Realty Design Hardware Printing Flooring Painting "
    "Cleaning Logistics Florist Pharmacy Veterinary Insurance Motors Cafe Studio Salon "
    "Marketing Engineering Architects Brewing Farms Outfitters Tailors Optical Legal"
).split()
ADJECTIVES = (
    "Blue Green Golden Summit Pioneer Coastal Northern Silver Oak Maple Eagle Liberty "
    "Evergreen Cedar Bright Prime Apex Harbor River Mountain Red Iron Crystal Sunset "
    "Heritage Granite Willow Pacific Atlantic Royal Urban Rustic Valley Copper"
).split()
NOUNS = (
    "Ridge Point Creek Star Stone Bridge Field Peak Lake Grove Hollow Crest Gate Meadow "
    "Harbor Springs Path Forge Works Trail"
).split()
SUFFIXES = (
    "Inc",
    "Inc.",
    "Incorporated",
    "LLC",
    "L.L.C.",
    "Co",
    "Co.",
    "Company",
    "Corp",
    "Corp.",
    "Corporation",
    "Ltd",
    "Ltd.",
    "Limited",
    "LLP",
    "PLLC",
    "PC",
    "P.C.",
)
#: Made-up surnames (no two a typo apart), so a family's base name ("Holber Design") is its own.
COINED_SURNAMES = tuple(
    start + end
    for start in "Hol Bren Cas Dun Fenw Gart Kes Lom Mirr Nash Pell Quim Roth Selb Tav Vorn Wex Yard".split()
    for end in "ber den ford ley wick mont ridge sby rick dale ner vey lin stead holt croft gard well".split()
)
#: A family of businesses takes its members' suffixes from these, "" being the bare base name.
FAMILY_SUFFIXES = (
    "",
    "Inc",
    "Incorporated",
    "LLC",
    "Co",
    "Company",
    "Corp",
    "Corporation",
    "Ltd",
    "Limited",
    "LLP",
    "PLLC",
    "PC",
)
#: How often one draw of the generator is such a family rather than one person or business.
FAMILIES = {"suffix family": 0.06, "first-name family": 0.015, "one person twice": 0.01}
DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "icloud.com", "aol.com", "comcast.net")


@dataclass
class Entity:
    """One real person or business, before either side writes it down."""

    name: str
    given: str = ""
    family: str = ""
    company: str = ""
    email: str = ""
    phone: str = ""
    is_person: bool = True
    #: A namesake's email is never lost: the brief is that namesakes differ in email or phone.
    email_kept: bool = False
    #: A family member's suffix is what tells it from the family's other businesses.
    suffix_kept: bool = False
    trap: str = ""  # "", or the trap it was made for: one of TRAPS


TRAPS = ("namesake", "relative", *FAMILIES)


@dataclass
class LabelledSet:
    contacts: list[MatchRecord]
    customers: list[MatchRecord]
    truth: set[tuple[str, str]] = field(default_factory=set)  # (contact id, customer id)
    traps: dict[tuple[str, str], str] = field(default_factory=dict)  # true pair -> its trap, if any

    def trapped(self, trap: str) -> set[tuple[str, str]]:
        """The true pairs of ``trap`` (one of TRAPS)."""
        return {pair for pair, its_trap in self.traps.items() if its_trap == trap}


def labelled_set(size: int, seed: int) -> LabelledSet:
    """People and businesses until about ``size`` are contacts, with their true links."""
    rng = random.Random(seed)
    used_emails: set[str] = set()
    used_bases: set[str] = set()
    entities: list[tuple[Entity, str]] = []  # (entity, where: "both", "contact", "customer")
    contacts = 0
    while contacts < size:
        drawn = _draw(rng, used_emails, used_bases)
        entities += drawn
        contacts += sum(where != "customer" for _, where in drawn)
    result = LabelledSet([], [])
    for number, (entity, where) in enumerate(entities):
        if where in ("both", "contact"):
            result.contacts.append(_write(rng, entity, f"c{number}"))
        if where in ("both", "customer"):
            customer = _write(rng, entity, f"q{number}", _customer_drift(rng, entity))
            result.customers.append(customer)
        if where == "both":
            result.truth.add((f"c{number}", f"q{number}"))
            if entity.trap:
                result.traps[f"c{number}", f"q{number}"] = entity.trap
    rng.shuffle(result.contacts)
    rng.shuffle(result.customers)
    return result


def precision_recall(matches: Iterable[Match], truth: set[tuple[str, str]]) -> tuple[float, float]:
    found = {(m.contact_id, m.customer_id) for m in matches}
    right = len(found & truth)
    return (right / len(found) if found else 1.0), (right / len(truth) if truth else 1.0)


def _draw(rng: random.Random, used_emails: set[str], used_bases: set[str]) -> list[tuple[Entity, str]]:
    """A family on both sides; or one person or business and where it is written, with any trap
    that comes with it."""
    family = rng.choices([*FAMILIES, ""], [*FAMILIES.values(), 1 - sum(FAMILIES.values())])[0]
    if family == "suffix family":
        members = _suffix_family(rng, used_emails, used_bases)
    elif family == "first-name family":
        given = rng.choice(FIRST_NAMES)
        last_names = rng.sample((*LAST_NAMES, *COINED_SURNAMES), rng.randint(4, 10))
        members = [_person(rng, used_emails, given, last_name) for last_name in last_names]
    elif family == "one person twice":
        person = _person(rng, used_emails)
        person.email = person.email or _email(rng, used_emails, person.given, person.family)
        person.email_kept = True
        members = [person, replace(person, email=_email(rng, used_emails, person.given, person.family))]
    if family:
        for member in members:
            member.trap = family
        return [(member, "both") for member in members]
    if rng.random() >= 0.6:
        return [(_business(rng, used_emails), _placement(rng))]
    entity = _person(rng, used_emails)
    drawn = [(entity, _placement(rng))]
    if rng.random() < 0.06:  # a namesake: same name, someone else
        namesake = replace(_person(rng, used_emails, entity.given, entity.family), name=entity.name)
        namesake.email = namesake.email or _email(rng, used_emails, namesake.given, namesake.family)
        entity.email = entity.email or _email(rng, used_emails, entity.given, entity.family)
        namesake.email_kept = entity.email_kept = True
        entity.trap = namesake.trap = "namesake"
        drawn.append((namesake, _placement(rng)))
    if entity.email and rng.random() < 0.03:  # a family sharing an email
        relative = _person(
            rng, used_emails, rng.choice([n for n in FIRST_NAMES if n != _plain(entity.given)]), entity.family
        )
        relative.email = entity.email
        entity.trap = relative.trap = "relative"
        drawn.append((relative, _placement(rng)))
    return drawn


def _suffix_family(rng: random.Random, used_emails: set[str], used_bases: set[str]) -> list[Entity]:
    """Two to five businesses with one base name and a different suffix each. They are run from
    one office, so most share its phone and many its email: only the suffix tells them apart."""
    base = f"{rng.choice(COINED_SURNAMES)} {rng.choice(TRADES)}"
    while base in used_bases:
        base = f"{rng.choice(COINED_SURNAMES)} {rng.choice(TRADES)}"
    used_bases.add(base)
    office = _business(rng, used_emails, base, "")
    members = [_business(rng, used_emails, base, suffix) for suffix in rng.sample(FAMILY_SUFFIXES, rng.randint(2, 5))]
    for member in members:
        member.email = office.email if rng.random() < 0.5 else member.email
        member.phone = office.phone if rng.random() < 0.8 else member.phone
    return members


def _placement(rng: random.Random) -> str:
    return rng.choices(("both", "contact", "customer"), (0.75, 0.125, 0.125))[0]


def _person(rng: random.Random, used: set[str], given: str = "", family: str = "") -> Entity:
    given = given or rng.choice(FIRST_NAMES)
    family = family or rng.choice(LAST_NAMES)
    given, family = ACCENTED.get(given, given), ACCENTED.get(family, family)
    email = _email(rng, used, given, family) if rng.random() < 0.8 else ""
    phone = _phone(rng) if rng.random() < 0.8 else ""
    return Entity(f"{given} {family}", given, family, "", email, phone)


def _business(rng: random.Random, used: set[str], base: str = "", suffix: str | None = None) -> Entity:
    """A business; with ``suffix`` given (perhaps ""), a member of ``base``'s family."""
    in_family = suffix is not None
    if not base:
        shape = rng.random()
        if shape < 0.35:
            base = f"{rng.choice(LAST_NAMES)} {rng.choice(TRADES)}"
        elif shape < 0.55:
            base = f"{rng.choice(LAST_NAMES)} & {rng.choice(LAST_NAMES)}"
        else:
            base = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {rng.choice(TRADES)}"
    if suffix is None:
        suffix = rng.choice(SUFFIXES) if rng.random() < 0.7 else ""
    name = f"{base} {suffix}".strip()
    if rng.random() < 0.08:
        name = "The " + name
    slug = "".join(ch for ch in base.lower() if ch.isalnum())[:20]
    email = ""
    if rng.random() < 0.75:
        while not email or email in used:
            email = f"{rng.choice(('info', 'office', 'billing', 'admin'))}@{slug}{rng.randint(1, 999)}.com"
        used.add(email)
    phone = _phone(rng) if rng.random() < 0.85 else ""
    return Entity(name, company=name, email=email, phone=phone, is_person=False, suffix_kept=in_family)


def _email(rng: random.Random, used: set[str], given: str, family: str) -> str:
    while True:
        local = rng.choice(
            (
                f"{given}.{family}",
                f"{given[0]}{family}",
                f"{given}{rng.randint(1, 99)}",
                f"{family}.{given[0]}{rng.randint(1, 99)}",
            )
        )
        local = "".join(ch for ch in local.lower() if ch.isascii() and (ch.isalnum() or ch == "."))
        email = f"{local}@{rng.choice(DOMAINS)}"
        if email not in used:
            used.add(email)
            return email


def _phone(rng: random.Random) -> str:
    return f"{rng.randint(201, 989)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"


def _customer_drift(rng: random.Random, entity: Entity) -> Entity:
    """The same entity, some time apart: a new email or phone now and then."""
    drifted = replace(entity)
    if entity.email and rng.random() < 0.03:
        drifted.email = "new." + entity.email
    if entity.phone and rng.random() < 0.03:
        drifted.phone = _phone(rng)
    return drifted


def _write(rng: random.Random, entity: Entity, record_id: str, drifted: Entity | None = None) -> MatchRecord:
    """One side's record of ``entity``, with that side's noise."""
    entity = drifted or entity
    if entity.is_person:
        given, family = entity.given, entity.family
        if rng.random() < 0.15 and _plain(given) in NICKNAMES:
            given = rng.choice(NICKNAMES[_plain(given)])
        if rng.random() < 0.3:
            given, family = _plain(given), _plain(family)
        name = f"{family}, {given}" if rng.random() < 0.15 else f"{given} {family}"
        if rng.random() < 0.05:
            middle = f" {rng.choice('ABCDEFGHJKLMNPRSTW')}."
            name = f"{family}, {given}{middle}" if "," in name else f"{given}{middle} {family}"
    else:
        name = _business_noise(rng, entity.name, entity.suffix_kept)
        given = family = ""
    name = _typos(rng, name)
    name = _surface_noise(rng, name)
    with_parts = rng.random() < 0.6
    return MatchRecord(
        id=record_id,
        display_name=name,
        given_name=given if with_parts else "",
        family_name=family if with_parts else "",
        company_name=entity.company if rng.random() < 0.6 else "",
        email=_email_noise(rng, entity.email, entity.email_kept),
        phone=_phone_noise(rng, entity.phone),
    )


def _plain(name: str) -> str:
    return next((plain for plain, accented in ACCENTED.items() if accented == name), name)


def _business_noise(rng: random.Random, name: str, suffix_kept: bool) -> str:
    words = name.split()
    if words[0] == "The" and rng.random() < 0.5:
        words = words[1:]
    elif words[0] != "The" and rng.random() < 0.05:
        words = ["The", *words]
    if suffix_kept:
        if words[-1] in SUFFIXES:
            roll = rng.random()
            if roll < 0.05:
                words = words[:-1]
            elif roll < 0.3:
                words[-1] = rng.choice([s for s in SUFFIXES if s.replace(".", "") == words[-1].replace(".", "")])
    elif words[-1] in SUFFIXES and rng.random() < 0.4:
        words = words[:-1] if rng.random() < 0.4 else [*words[:-1], rng.choice(SUFFIXES)]
    elif words[-1] not in SUFFIXES and rng.random() < 0.2:
        words.append(rng.choice(SUFFIXES))
    if words[-1] in SUFFIXES and rng.random() < 0.3:
        words[-2] += ","
    name = " ".join(words)
    if rng.random() < 0.5:
        name = name.replace(" & ", " and ") if "&" in name else name.replace(" and ", " & ")
    return name


def _typos(rng: random.Random, name: str) -> str:
    roll = rng.random()
    for _ in range(2 if roll < 0.02 else 1 if roll < 0.14 else 0):
        letters = [i for i, ch in enumerate(name) if ch.isalpha()]
        i = rng.choice(letters[1:] or letters)
        kind = rng.choice(("swap", "drop", "double", "replace"))
        if kind == "swap" and i + 1 < len(name) and name[i + 1].isalpha():
            name = name[:i] + name[i + 1] + name[i] + name[i + 2 :]
        elif kind == "drop":
            name = name[:i] + name[i + 1 :]
        elif kind == "double":
            name = name[:i] + name[i] + name[i:]
        else:
            name = name[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + name[i + 1 :]
    return name


def _surface_noise(rng: random.Random, name: str) -> str:
    roll = rng.random()
    if roll < 0.08:
        name = name.upper()
    elif roll < 0.16:
        name = name.lower()
    if rng.random() < 0.1:
        name = name.replace(" ", "  ", 1) + rng.choice(("", " "))
    if rng.random() < 0.1:
        name = name.replace(".", "").replace(",", "")
    return name


def _email_noise(rng: random.Random, email: str, kept: bool) -> str:
    if not email or (not kept and rng.random() < 0.1):
        return ""
    roll = rng.random()
    if roll < 0.1:
        return email.upper()
    if roll < 0.2:
        return email[0].upper() + email[1:] + " "
    return email


def _phone_noise(rng: random.Random, phone: str) -> str:
    if not phone or rng.random() < 0.15:
        return ""
    a, b, c = phone[:3], phone[3:6], phone[6:]
    return rng.choice(
        (
            f"({a}) {b}-{c}",
            f"{a}-{b}-{c}",
            f"{a}.{b}.{c}",
            f"+1 {a} {b} {c}",
            f"1-{a}-{b}-{c}",
            phone,
            f"{a}-{b}-{c} x{rng.randint(10, 99)}",
        )
    )
