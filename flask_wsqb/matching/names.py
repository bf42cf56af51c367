"""Names as a person compares them: the normal forms :mod:`flask_wsqb.matching` scores.

Pure and stateless. A name becomes one or more *forms*: tuples of lower-case ASCII words with
punctuation, a leading "The", business suffixes and middle initials gone, "Last, First" turned
round, and nicknames replaced by the full name ("Bob" -> "robert"). A nickname shared by two
names ("Pat": Patrick, Patricia) gives one form for each. The business suffix is kept aside, in
``suffix_words``: two businesses may differ by nothing else.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz.distance import OSA

#: Words that only say what kind of business it is; "Acme Inc." and "Acme, LLC" are one Acme.
BUSINESS_SUFFIXES = frozenset(
    "inc incorporated llc lc co company companies corp corporation ltd limited llp lllp lp "
    "pllc pc pa plc professional gmbh sa nv bv ag pty".split()
)
#: Long spellings of a suffix, and the short one they are spelled as too.
_SHORT_SPELLING = {"incorporated": "inc", "corporation": "corp", "company": "co", "limited": "ltd", "lc": "llc"}
#: Suffixes long enough to recognise through a typo ("Incorporatted").
_LONG_SUFFIXES = tuple(sorted(s for s in BUSINESS_SUFFIXES if len(s) >= 7))
#: "Smith, Jr." is not "Jr. Smith": a comma before these words does not mean "Last, First".
_NAME_SUFFIXES = frozenset("jr sr ii iii iv md cpa esq phd dds".split())

# canonical full name: the names people shorten it to (and other spellings of it)
_NICKNAMES = {
    "abigail": "abby abbie gail",
    "albert": "al bert bertie",
    "alexander": "alex al xander sandy",
    "alexandra": "alex alexa lexi sandy",
    "alfred": "al alf fred freddie",
    "allison": "alison ally allie",
    "amanda": "mandy manda",
    "andrew": "andy drew",
    "ann": "anne annie",
    "anthony": "tony",
    "arthur": "art artie",
    "barbara": "barb barbie babs",
    "benjamin": "ben benny benji",
    "bradley": "brad",
    "catherine": "kathy cathy cate kate katie katy kat kay kathryn katherine katharine kit",
    "charles": "charlie chuck chas chaz",
    "christine": "chris chrissy tina christina kristine",
    "christopher": "chris kit topher",
    "cynthia": "cindy",
    "daniel": "dan danny",
    "david": "dave davey davy",
    "deborah": "deb debbie debby debra",
    "donald": "don donnie",
    "dorothy": "dot dottie dolly",
    "douglas": "doug",
    "edward": "ed eddie ned ted teddy",
    "elizabeth": "liz lizzie lizzy beth betty betsy eliza libby liza elisabeth bess",
    "eugene": "gene",
    "frances": "fran frannie",
    "francis": "frank fran",
    "frederick": "fred freddie fritz",
    "gabriel": "gabe",
    "gerald": "gerry jerry",
    "gregory": "greg",
    "harold": "hal harry",
    "henry": "hank harry hal",
    "jacob": "jake",
    "jacqueline": "jackie jacky",
    "james": "jim jimmy jamie",
    "jeffrey": "jeff geoffrey geoff",
    "jennifer": "jen jenny jenn",
    "jessica": "jess jessie",
    "john": "jack johnny",
    "jonathan": "jon jonny",
    "joseph": "joe joey jos",
    "joshua": "josh",
    "judith": "judy",
    "kenneth": "ken kenny",
    "kimberly": "kim kimberley",
    "lawrence": "larry laurence",
    "leonard": "leo len lenny",
    "louis": "lou",
    "margaret": "maggie meg peggy marge margie greta",
    "mary": "molly polly mae",
    "matthew": "matt",
    "michael": "mike mikey mick mickey",
    "nathan": "nate",
    "nathaniel": "nate nat",
    "nicholas": "nick nicky nico",
    "pamela": "pam",
    "patricia": "pat patty patti trish tricia",
    "patrick": "pat paddy",
    "peter": "pete",
    "philip": "phil phillip",
    "raymond": "ray",
    "rebecca": "becky becca",
    "richard": "rick ricky rich richie dick",
    "robert": "bob bobby rob robbie bert",
    "ronald": "ron ronnie",
    "samantha": "sam sammy",
    "samuel": "sam sammy",
    "sandra": "sandy",
    "sarah": "sara sally",
    "stephanie": "steph",
    "steven": "steve stephen",
    "susan": "sue susie suzy suzanne",
    "teresa": "terry tess theresa",
    "theodore": "ted teddy theo",
    "thomas": "tom tommy",
    "timothy": "tim timmy",
    "valerie": "val",
    "victoria": "vicky vicki tori",
    "vincent": "vince vinny",
    "virginia": "ginny",
    "walter": "walt",
    "william": "bill billy will willie liam",
    "zachary": "zach zack",
}
#: word -> the full names it may stand for
FULL_NAMES: dict[str, tuple[str, ...]] = {}
for _full, _short in sorted(_NICKNAMES.items()):
    for _word in (_full, *_short.split()):
        FULL_NAMES[_word] = (*FULL_NAMES.get(_word, ()), _full)

_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})
_DROPPED = re.compile(r"['’`.]")  # O'Brien is obrien, L.L.C. is llc
_SEPARATORS = re.compile(r"[^a-z0-9]+")
_WRITTEN_WORD = re.compile(r"[^\s,]+")
_LETTER_RUNS = re.compile(r"\b(?:[a-z] ){1,}[a-z]\b")  # "l l c" left by "L. L. C."


@dataclass(frozen=True)
class Name:
    """A name's normal forms, and what normalising it removed (to explain a match)."""

    forms: tuple[tuple[str, ...], ...]
    words: tuple[str, ...] = ()  # before nicknames were replaced
    suffix: str = ""  # the business suffix dropped, as written: "Inc.", "L.L.C."
    suffix_words: tuple[str, ...] = ()  # that suffix's words, spelled right: ("co",) for "& Co."
    reordered: bool = False  # it was written "Last, First"
    leading_the: bool = False


def fold(text: str) -> str:
    """Lower case, accents and punctuation gone, "&" spelled "and", single spaces."""
    text = text.casefold()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_LETTERS))
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _DROPPED.sub("", text.replace("&", " and ").replace("+", " and "))
    text = _SEPARATORS.sub(" ", text).strip()
    return _LETTER_RUNS.sub(lambda m: m.group().replace(" ", ""), text)


def parse(name: str) -> Name:
    """``name`` in normal forms; an empty name has none."""
    before, comma, after = name.partition(",")
    words = fold(name).split()
    reordered = False
    if comma:
        first = fold(after).split()
        if first and not any(_as_suffix(w) or w in _NAME_SUFFIXES for w in first):
            words = first + fold(before).split()
            reordered = True
    leading_the = len(words) > 1 and words[0] == "the"
    if leading_the:
        words = words[1:]
    suffix_words: list[str] = []
    while len(words) - len(suffix_words) > 1 and (word := _as_suffix(words[-1 - len(suffix_words)])):
        suffix_words.insert(0, word)
    suffix = ""
    if suffix_words:
        suffix = _written_suffix(name, words[-len(suffix_words) :])
        words = words[: -len(suffix_words)]
    if sum(len(w) > 1 for w in words) >= 2:
        words = [w for w in words if len(w) > 1]  # a middle initial is often left out
    if not words:
        return Name(())
    # The words as written stay a form too, so a typo in a nickname is still one typo away.
    full = itertools.islice(itertools.product(*(FULL_NAMES.get(w, (w,)) for w in words)), 4)
    forms = tuple(dict.fromkeys((tuple(words), *full)))
    spelled = tuple(w for w in suffix_words if w != "and")
    return Name(forms, tuple(words), suffix, spelled, reordered, leading_the)


def _as_suffix(word: str) -> str:
    """The business suffix ``word`` is, spelled right, or ""; "&" before a suffix goes with it."""
    if word in BUSINESS_SUFFIXES or word == "and":  # "Smith & Co." is Smith
        return word
    if len(word) < 6:
        return ""
    return next((s for s in _LONG_SUFFIXES if OSA.distance(word, s, score_cutoff=1) <= 1), "")


def same_suffix_spelled_otherwise(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two suffixes are one suffix in other spellings: "Corp." and "Corporation"."""
    return tuple(_SHORT_SPELLING.get(w, w) for w in a) == tuple(_SHORT_SPELLING.get(w, w) for w in b)


def _written_suffix(name: str, words: list[str]) -> str:
    """The suffix as the user wrote it ("L.L.C."), found from its folded words."""
    for start in reversed([m.start() for m in _WRITTEN_WORD.finditer(name)]):
        tail = name[start:]
        folded = fold(tail).split()
        if folded == words:
            return tail.strip(" ,")
        if len(folded) > len(words):
            break
    return " ".join(words)


def nicknames_used(a: tuple[str, ...], b: tuple[str, ...]) -> list[tuple[str, str]]:
    """Pairs of words, one per side, that differ but stand for the same full name."""
    pairs = []
    for x, y in zip(a, b, strict=False):
        if x != y and set(FULL_NAMES.get(x, (x,))) & set(FULL_NAMES.get(y, (y,))):
            pairs.append((x, y))
    return pairs
