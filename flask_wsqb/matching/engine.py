"""Auto Match: which host contact is which QuickBooks customer. Pure: records in, links out.

A pair is scored the way a person would judge it: how alike the names are (0-100) once case,
punctuation, accents, spacing, "Last, First" order, business suffixes, a leading "The" and
nicknames are set aside (typos lower it a little), plus points for an equal email or phone and
minus points for different ones. Scores above 100 rank "same name, same email" above "same name";
a :class:`Match` reports at most 100. A link is made automatically only when both sides are sure: the
score reaches :data:`AUTO_SCORE`, and neither the contact nor the customer has another candidate
within :data:`MARGIN` of it. Everything else plausible is offered for review.

Business suffixes are set aside to find the name, not forgotten. Where they differ the name scores
at most :data:`OTHER_SPELLING_SCORE` or :data:`OTHER_SUFFIX_SCORE`, MARGIN below the same name with
the same suffix, and an equal email or phone counts only a little (it may be the office of a family
of businesses). So "Holber Design Corp" is linked to its namesake even where "Holber Design
Company", another business, is on both sides too; a plain "Holber Design" facing both is left to a
person.

Only pairs that share something are scored (a normal name, an email, a phone, a name one typo
away, a rare word), so 10,000 contacts against 10,000 customers take under two seconds.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from .names import Name, nicknames_used, parse, same_suffix_spelled_otherwise

#: A pair scoring this much, with no rival within MARGIN on either side, is linked by Auto Match.
AUTO_SCORE = 90.0
#: Pairs scoring this much are worth showing a person.
REVIEW_SCORE = 60.0
MARGIN = 8.0
#: The most a name scores against itself with its business suffix left out on one side, or spelled
#: another way ("Acme", "Acme Corporation" against "Acme Corp."): a link when nothing fits better,
#: but MARGIN below the same suffix. In families of businesses that share a base name the suffix is
#: what tells them apart, and there "Corp" and "Corporation" can be two businesses, so the same
#: spelling is better evidence than another spelling of the same suffix.
OTHER_SPELLING_SCORE = 100.0 - MARGIN
#: The most a name scores against itself with a different suffix ("Acme Ltd", "Acme LLC"): still a
#: link when nothing else fits or speaks against it (people write the wrong suffix), but a little
#: below a suffix left out or spelled otherwise, which contradicts nothing.
OTHER_SUFFIX_SCORE = AUTO_SCORE
#: Names this alike (0-100) are the same name with noise; an equal email or phone confirms them.
ALIKE_NAMES = 75.0
#: A word in this many names is a real name, not a typo: "Ryan Bakery" is not "Tran Bakery".
COMMON_WORD = 3
EMAIL_POINTS = 35.0
PHONE_POINTS = 25.0
#: An email or phone on more records than this (an office address, "000-000-0000") proves nothing.
SHARED_LIMIT = 5
#: Words in more customers' names than this are too common to find candidates by.
RARE_WORD_LIMIT = 20
_REVIEW_PER_CONTACT = 3

_EXTENSION = re.compile(r"(?i)\s*(?:x|ext\.?|extension)\s*\d+\s*$")
_NOT_DIGITS = re.compile(r"\D")


@dataclass(frozen=True)
class MatchRecord:
    """One contact or customer as the matcher sees it."""

    id: str
    display_name: str = ""
    given_name: str = ""
    family_name: str = ""
    company_name: str = ""
    email: str = ""
    phone: str = ""


@dataclass
class Match:
    """A proposed link, with a score (0-100) and the reason in words."""

    contact_id: str
    customer_id: str
    score: float
    reason: str


@dataclass
class MatchResult:
    """Links made automatically, and plausible pairs left to a person (best first per contact)."""

    matches: list[Match]
    review: list[Match]


def auto_match(contacts: Iterable[MatchRecord], customers: Iterable[MatchRecord]) -> list[Match]:
    """Confident one-to-one links, sorted by contact id. Pass only customers not yet linked."""
    return match_all(contacts, customers).matches


def rank(contact: MatchRecord, customers: Iterable[MatchRecord], limit: int = 10) -> list[Match]:
    """The customers most like one contact, best first, with their scores and reasons (the link
    picker's first view): the candidates the index finds for it, whatever their score."""
    one = _prepare(contact)
    customer_list = [_prepare(r) for r in customers]
    common = _common_words([one, *customer_list])
    scored = sorted(
        ((_score(one, customer_list[q], common), q) for q in _Index(customer_list).candidates(one)), reverse=True
    )
    return [
        Match(contact.id, customer_list[q].record.id, min(score, 100.0), _explain(one, customer_list[q]))
        for score, q in scored[:limit]
        if score > 0
    ]


def match_all(contacts: Iterable[MatchRecord], customers: Iterable[MatchRecord]) -> MatchResult:
    """Confident links, plus the candidates of every contact left unlinked, for review."""
    contact_list = [_prepare(r) for r in sorted(contacts, key=lambda r: r.id)]
    customer_list = [_prepare(r) for r in sorted(customers, key=lambda r: r.id)]
    _forget_shared(contact_list, customer_list)

    by_contact: dict[int, list[tuple[float, int]]] = defaultdict(list)
    by_customer: dict[int, list[tuple[float, int]]] = defaultdict(list)
    index = _Index(customer_list)
    common = _common_words(contact_list + customer_list)
    for c, contact in enumerate(contact_list):
        for q in index.candidates(contact):
            score = _score(contact, customer_list[q], common)
            if score >= REVIEW_SCORE:
                by_contact[c].append((score, q))
                by_customer[q].append((score, c))

    linked = _link(by_contact, by_customer)
    matches = [
        Match(
            contact_list[c].record.id,
            customer_list[q].record.id,
            min(score, 100.0),
            _explain(contact_list[c], customer_list[q]),
        )
        for c, (q, score) in sorted(linked.items())
    ]
    taken = {q for q, _ in linked.values()}
    review = []
    for c in sorted(set(by_contact) - set(linked)):
        open_ = sorted((-s, q) for s, q in by_contact[c] if q not in taken)
        for neg_score, q in open_[:_REVIEW_PER_CONTACT]:
            why = _doubt(-neg_score, q, open_, by_customer[q], c, linked)
            review.append(
                Match(
                    contact_list[c].record.id,
                    customer_list[q].record.id,
                    min(-neg_score, 100.0),
                    f"{_explain(contact_list[c], customer_list[q])}; {why}",
                )
            )
    return MatchResult(matches, review)


@dataclass(slots=True)
class _Prepared:
    record: MatchRecord
    written: str  # the name compared, as written
    name: Name
    spaced: tuple[str, ...]  # each form's words, sorted: order does not matter
    joined: tuple[str, ...]  # each form's words run together: spacing does not matter
    email: str
    phone: str


@lru_cache(maxsize=65536)
def _parse(name: str) -> Name:
    return parse(name)


def _prepare(record: MatchRecord) -> _Prepared:
    # QuickBooks often keeps a business's contact person in GivenName/FamilyName, so those
    # name the record only when it has no display name.
    person = f"{record.given_name.strip()} {record.family_name.strip()}".strip()
    written = " ".join((record.display_name or person or record.company_name).split())
    name = _parse(written)
    forms = set(name.forms)
    return _Prepared(
        record=record,
        written=written,
        name=name,
        spaced=tuple(sorted({" ".join(sorted(form)) for form in forms})),
        joined=tuple(sorted({"".join(form) for form in forms})),
        email=record.email.strip().casefold(),
        phone=_phone_digits(record.phone),
    )


def _phone_digits(phone: str) -> str:
    digits = _NOT_DIGITS.sub("", _EXTENSION.sub("", phone))
    return digits[-10:] if len(digits) >= 7 else ""


def _forget_shared(contacts: list[_Prepared], customers: list[_Prepared]) -> None:
    """Blank the emails and phones so many records share that they say nothing about identity."""
    for field in ("email", "phone"):
        for side in (contacts, customers):
            counts = Counter(getattr(p, field) for p in side)
            for p in side:
                if counts[getattr(p, field)] > SHARED_LIMIT:
                    setattr(p, field, "")


def _one_typo_away(text: str) -> set[str]:
    """``text`` and ``text`` less any one character: two strings one typo apart share one."""
    if len(text) < 5:
        return {text}
    return {text, *(text[:i] + text[i + 1 :] for i in range(len(text)))}


class _Index:
    """The customers by everything a contact may share with them."""

    def __init__(self, customers: list[_Prepared]) -> None:
        self.keys: dict[str, list[int]] = defaultdict(list)
        words: dict[str, list[int]] = defaultdict(list)
        for q, customer in enumerate(customers):
            for key in self._keys(customer):
                self.keys[key].append(q)
            for word in {w for text in customer.spaced for w in text.split() if len(w) > 2}:
                words[word].append(q)
        self.rare_words = {w: qs for w, qs in words.items() if len(qs) <= RARE_WORD_LIMIT}

    @staticmethod
    def _keys(p: _Prepared) -> set[str]:
        keys = {"@" + p.email} if p.email else set()
        if p.phone:
            keys.add("#" + p.phone[-7:])
        keys.update(p.spaced)
        for text in {*p.joined, *(s.replace(" ", "") for s in p.spaced)}:
            keys.update(_one_typo_away(text))
        return keys

    def candidates(self, contact: _Prepared) -> set[int]:
        found: set[int] = set()
        for key in self._keys(contact):
            found.update(self.keys.get(key, ()))
        for text in contact.spaced:
            for word in text.split():
                found.update(self.rare_words.get(word, ()))
        return found


def _common_words(records: list[_Prepared]) -> frozenset[str]:
    counts = Counter(word for p in records for word in {w for text in p.spaced for w in text.split()})
    return frozenset(word for word, n in counts.items() if n >= COMMON_WORD)


def _name_score(a: _Prepared, b: _Prepared, common: frozenset[str] = frozenset()) -> float:
    """How alike two names are, 0-100; a word swapped for another real word is no typo, and a
    different business suffix keeps the score at least MARGIN below the same suffix."""
    most = _suffix_limit(a.name.suffix_words, b.name.suffix_words)
    best, best_pair = 0.0, ("", "")
    for pairs in ((a.spaced, b.spaced), (a.joined, b.joined)):
        for x in pairs[0]:
            for y in pairs[1]:
                if x == y:
                    return most
                score = fuzz.ratio(x, y, score_cutoff=best)
                if score > best:
                    best, best_pair = score, (x, y)
    if best >= ALIKE_NAMES and common:
        words_a, words_b = set(best_pair[0].split()), set(best_pair[1].split())
        only_a, only_b = words_a - words_b, words_b - words_a
        if len(only_a) == len(only_b) == 1 and only_a <= common and only_b <= common:
            return min(best, ALIKE_NAMES - 5)
    return min(best, most)


def _suffix_limit(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """The most two names with these business suffixes can score."""
    if a == b:
        return 100.0
    if not a or not b or same_suffix_spelled_otherwise(a, b):
        return OTHER_SPELLING_SCORE
    return OTHER_SUFFIX_SCORE


def _agreement(a: str, b: str) -> int:
    """1 when both have the value and it is the same, -1 when both have it and it differs."""
    if not a or not b:
        return 0
    return 1 if a == b else -1


def _phone_agreement(a: str, b: str) -> int:
    if a and b and len(a) != len(b):  # a 7-digit local number against a 10-digit one
        a, b = a[-7:], b[-7:]
    return _agreement(a, b)


def _score(a: _Prepared, b: _Prepared, common: frozenset[str]) -> float:
    """Points for a pair: the name's likeness (100 when the same), plus or minus the rest.

    Points are not capped at 100, so "same name, same email" beats "same name" alone.
    """
    names = _name_score(a, b, common)
    # One email for two clearly different names is a family or an office, not one person; and for
    # names that differ in their business suffix, it may be the office of a family of businesses.
    alike = names >= ALIKE_NAMES and a.name.suffix_words == b.name.suffix_words
    score = names
    email = _agreement(a.email, b.email)
    if email > 0:
        score += EMAIL_POINTS if alike else 10
    elif email < 0:
        score -= EMAIL_POINTS
    phone = _phone_agreement(a.phone, b.phone)
    if phone > 0:
        score += PHONE_POINTS if alike else 5
    elif phone < 0:
        score -= PHONE_POINTS / 2
    return round(score, 1)


def _link(
    by_contact: dict[int, list[tuple[float, int]]], by_customer: dict[int, list[tuple[float, int]]]
) -> dict[int, tuple[int, float]]:
    """Contact -> (customer, score) for pairs each side is sure of, in rounds: once a customer
    is clearly someone else's, a contact torn between it and another may link to the other."""
    linked: dict[int, tuple[int, float]] = {}
    taken: set[int] = set()
    while True:
        found = {}
        for c, options in by_contact.items():
            if c in linked:
                continue
            best = _sure_choice([(s, q) for s, q in options if q not in taken])
            if best is None or best[0] < AUTO_SCORE:
                continue
            score, q = best
            rivals = [(s, other) for s, other in by_customer[q] if other not in linked]
            if _sure_choice(rivals) == (score, c):
                found[c] = (q, score)
        if not found:
            return linked
        linked.update(found)
        taken.update(q for q, _ in found.values())


def _sure_choice(options: list[tuple[float, int]]) -> tuple[float, int] | None:
    """The best option, unless another comes within MARGIN of it."""
    if not options:
        return None
    ranked = sorted(options, reverse=True)
    if len(ranked) > 1 and ranked[1][0] > ranked[0][0] - MARGIN:
        return None
    return ranked[0]


def _doubt(
    score: float,
    q: int,
    options: list[tuple[float, int]],
    rivals: list[tuple[float, int]],
    c: int,
    linked: dict[int, tuple[int, float]],
) -> str:
    """Why a person should decide this pair."""
    if any(other != q and -s > score - MARGIN for s, other in options):
        return "another customer fits nearly as well"
    if any(other != c and other not in linked and s > score - MARGIN for s, other in rivals):
        return "another contact fits this customer nearly as well"
    return "not close enough to link automatically"


def _explain(a: _Prepared, b: _Prepared) -> str:
    """The evidence for and against a pair, in a few words."""
    parts = [_explain_names(a, b)]
    for label, agreement in (("email", _agreement(a.email, b.email)), ("phone", _phone_agreement(a.phone, b.phone))):
        if agreement:
            parts.append(f"same {label}" if agreement > 0 else f"different {label}s")
    return "; ".join(parts)


def _explain_names(a: _Prepared, b: _Prepared) -> str:
    if a.written.casefold() == b.written.casefold():
        return "same name"
    if not {tuple(sorted(f)) for f in a.name.forms} & {tuple(sorted(f)) for f in b.name.forms}:
        return f"similar name ({_name_score(a, b):.0f}% alike)"
    x, y = a.name, b.name
    differences = []
    if x.suffix != y.suffix:
        differences.append(" vs ".join(f"'{s}'" for s in (x.suffix, y.suffix) if s))
    if x.leading_the != y.leading_the:
        differences.append("'The'")
    if x.reordered != y.reordered:
        differences.append("'Last, First' order")
    nicknames = nicknames_used(x.words, y.words) or nicknames_used(tuple(sorted(x.words)), tuple(sorted(y.words)))
    differences += [f"{p.title()} = {q.title()}" for p, q in nicknames]
    if not differences:
        differences.append("case, punctuation, accents or spacing")
    return f"name differs only by {' and '.join(differences)}"
