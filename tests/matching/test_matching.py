"""Auto Match on small hand-made cases: each kind of noise, and each trap."""

from __future__ import annotations

import random

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from flask_wsqb.matching import MatchRecord, auto_match, match_all, rank
from flask_wsqb.matching.names import parse
from flask_wsqb.testing.matching_data import SUFFIXES

R = MatchRecord


def linked(contacts, customers) -> set[tuple[str, str]]:
    return {(m.contact_id, m.customer_id) for m in auto_match(contacts, customers)}


@pytest.mark.parametrize(
    ("contact", "customer"),
    [
        ("Acme Inc.", "ACME"),
        ("acme, incorporated", "Acme LLC"),
        ("Acme L.L.C.", "Acme Co."),
        ("The Acme Corporation", "Acme Ltd"),
        ("Smith & Jones PLLC", "Smith and Jones, P.C."),
        ("José Núñez", "Jose Nunez"),
        ("Mary   O'Brien ", "mary obrien"),
        ("Smith, Mary", "Mary Smith"),
        ("Bob Smith", "Robert Smith"),
        ("Liz Taylor", "Elizabeth Taylor"),
        ("Bill Wilson", "William Wilson"),
        ("Kate Moore", "Katherine Moore"),
        ("John A. Smith", "John Smith"),
        ("Jonathan Richardson", "Jonathan Richadrson"),
        ("Greenfield Landscaping", "Greenfeild Landscaping Inc"),
        ("Turner Roofing LLC", "Turner Roofing, Incorporatted"),
    ],
)
def test_name_noise_alone_still_matches(contact, customer):
    assert linked([R("c", contact)], [R("q", customer)]) == {("c", "q")}


def test_reason_says_what_differs():
    [match] = auto_match([R("c", "Acme Inc.", email="ap@acme.com")], [R("q", "ACME", email="AP@acme.com")])
    assert match.reason == "name differs only by 'Inc.'; same email"
    assert 0 <= match.score <= 100


def test_unrelated_names_do_not_match():
    assert linked([R("c", "Harbor Dental")], [R("q", "Summit Bakery")]) == set()


def test_email_and_phone_confirm_a_typo_too_short_to_trust_alone():
    assert linked([R("c", "Jon Lee")], [R("q", "Jan Lee")]) == set()
    assert linked([R("c", "Jon Lee", email="jl@x.com")], [R("q", "Jan Lee", email="JL@X.COM")]) == {("c", "q")}
    assert linked([R("c", "Jon Lee", phone="(212) 555-0101")], [R("q", "Jan Lee", phone="1-212-555-0101")]) == {
        ("c", "q")
    }


def test_same_name_different_people_are_not_matched():
    contacts = [R("c1", "John Smith", email="john@alpha.com", phone="212 555 0101")]
    customers = [R("q1", "John Smith", email="jsmith@beta.com", phone="646 555 0199")]
    assert linked(contacts, customers) == set()


def test_namesakes_are_told_apart_by_email_and_phone():
    contacts = [R("c1", "John Smith", email="john@alpha.com"), R("c2", "John Smith", phone="646-555-0199")]
    customers = [R("q1", "Smith, John", phone="(646) 555-0199"), R("q2", "JOHN SMITH", email="John@Alpha.com")]
    assert linked(contacts, customers) == {("c1", "q2"), ("c2", "q1")}


def test_different_names_sharing_an_email_are_a_family_not_a_match():
    contacts = [R("c", "Declan Rogers", email="rogers.family@gmail.com")]
    customers = [R("q", "Nadia Rogers", email="rogers.family@gmail.com")]
    assert linked(contacts, customers) == set()
    [review] = match_all(contacts, customers).review
    assert "same email" in review.reason


def test_a_real_name_is_not_a_typo_of_another():
    customers = [R(f"q{i}", f"Ryan {trade}") for i, trade in enumerate(("Plumbing", "Dental", "Law"))]
    customers += [R("t", "Tran Bakery"), R("t2", "Tran Motors"), R("r", "Ryan Bakery")]
    contacts = [R("c", "Ryan Bakery"), R("d", "Tran Bakery")]
    assert linked(contacts, customers[:-1] + [R("x", "Ryan Plumbing Supply")]) == {("d", "t")}


def test_a_customer_linked_elsewhere_is_left_out_and_not_replaced_by_a_lookalike():
    # The host passes only customers not yet linked: q1 (this John Smith) is linked already.
    contacts = [R("c1", "John Smith", email="john@alpha.com")]
    unlinked_customers = [R("q2", "Jon Smith", email="jon@gamma.com")]
    assert linked(contacts, unlinked_customers) == set()


def test_ambiguous_contact_gets_no_match_but_is_offered_for_review():
    contacts = [R("c", "Kevin Reed")]
    customers = [R("q1", "Kevin Reed"), R("q2", "Reed, Kevin")]
    result = match_all(contacts, customers)
    assert result.matches == []
    assert {m.customer_id for m in result.review} == {"q1", "q2"}
    assert all("another customer fits nearly as well" in m.reason for m in result.review)


def test_two_contacts_wanting_one_customer_get_no_match():
    result = match_all([R("c1", "Kevin Reed"), R("c2", "Kevin Reed")], [R("q", "Kevin Reed")])
    assert result.matches == []
    assert "another contact fits this customer nearly as well" in result.review[0].reason


def test_a_clear_link_settles_the_rival_of_another():
    contacts = [R("c1", "John Smith", email="j@a.com"), R("c2", "Jon Smith")]
    customers = [R("q1", "John Smith", email="j@a.com"), R("q2", "Jon Smith")]
    assert linked(contacts, customers) == {("c1", "q1"), ("c2", "q2")}


def test_links_are_one_to_one():
    contacts = [R(f"c{i}", "Acme Inc" if i % 2 else "Acme", phone=f"212555{i:04d}") for i in range(6)]
    customers = [R(f"q{i}", "ACME", phone=f"212555{i:04d}") for i in range(6)]
    matches = auto_match(contacts, customers)
    assert len({m.customer_id for m in matches}) == len({m.contact_id for m in matches}) == len(matches) == 6


def test_an_email_shared_by_many_records_proves_nothing():
    contacts = [R(f"c{i}", f"Client {i}", email="bookkeeper@firm.com") for i in range(8)]
    customers = [R(f"q{i}", f"Customer {i}", email="bookkeeper@firm.com") for i in range(8)]
    assert linked(contacts, customers) == set()


def test_result_is_deterministic_sorted_and_independent_of_input_order():
    contacts = [
        R(f"c{i:02}", name)
        for i, name in enumerate(("Bob Smith", "Acme Inc", "Kevin Reed", "Kevin Reed", "Jane Doe", "Harbor Dental"))
    ]
    customers = [
        R(f"q{i:02}", name)
        for i, name in enumerate(
            ("Robert Smith", "ACME", "Kevin Reed", "Doe, Jane", "Harbour Dental LLC", "Summit Bakery")
        )
    ]
    expected = auto_match(contacts, customers)
    assert [m.contact_id for m in expected] == sorted(m.contact_id for m in expected)
    rng = random.Random(5)
    for _ in range(5):
        rng.shuffle(contacts)
        rng.shuffle(customers)
        assert auto_match(contacts, customers) == expected


def test_empty_sides_and_empty_names():
    assert auto_match([], [R("q", "Acme")]) == []
    assert auto_match([R("c", "")], [R("q", "")]) == []
    assert linked([R("c", "", given_name="Ann", family_name="Lee")], [R("q", "Ann Lee")]) == {("c", "q")}


@pytest.mark.parametrize(
    "office",
    [{}, {"phone": "212 555 0100"}, {"email": "office@holber.example", "phone": "212 555 0100"}],
    ids=["nothing else", "one office phone", "one office email and phone"],
)
def test_a_full_name_beats_businesses_that_match_only_without_their_suffix(office):
    contacts = [
        R(f"c{i}", name, **office)
        for i, name in enumerate(
            ("Holber Design Corp", "Holber Design Company", "Holber Design Corporation", "Holber Design")
        )
    ]
    customers = [
        R(f"q{i}", name, **office)
        for i, name in enumerate(
            ("HOLBER DESIGN CORP.", "Holber Design, Company", "holber design corporation", "The Holber Design")
        )
    ]
    assert linked(contacts, customers) == {(f"c{i}", f"q{i}") for i in range(4)}


@pytest.mark.parametrize("contact", ["Holber Design", "Holber Design Corporation"])
def test_a_name_matching_a_family_only_without_suffixes_is_left_for_review(contact):
    result = match_all([R("c", contact)], [R("q1", "Holber Design Corp"), R("q2", "Holber Design Company")])
    assert result.matches == []
    assert {m.customer_id for m in result.review} == {"q1", "q2"}
    assert all("another customer fits nearly as well" in m.reason for m in result.review)


def test_a_different_suffix_scores_below_the_same_suffix_but_still_links_alone():
    def score(customer: str) -> float:
        [match] = rank(R("c", "X Ltd"), [R("q", customer)])
        return match.score

    assert score("X LLC") < score("X Limited") < score("X Ltd") == 100
    assert linked([R("c", "X Ltd")], [R("q", "X LLC")]) == {("c", "q")}
    assert linked([R("c", "X Limited")], [R("q", "X Ltd")]) == {("c", "q")}


def test_an_office_email_shared_by_sister_businesses_does_not_link_them():
    contacts = [R("c1", "Holber Design Corp", email="office@holber.example"), R("c2", "Holber Design Company")]
    customers = [R("q1", "Holber Design Corp"), R("q2", "Holber Design Company", email="office@holber.example")]
    result = match_all(contacts, customers)
    linked_pairs = {(m.contact_id, m.customer_id) for m in result.matches}
    assert linked_pairs <= {("c1", "q1"), ("c2", "q2")}
    assert linked_pairs | {(m.contact_id, m.customer_id) for m in result.review} >= {("c1", "q1"), ("c2", "q2")}


def test_an_equal_email_still_tells_which_suffix_a_business_was_written_with():
    contacts = [R("c", "Acme Inc", email="ap@acme.example")]
    customers = [R("q1", "Acme LLC", email="AP@acme.example"), R("q2", "Acme Co")]
    assert linked(contacts, customers) == {("c", "q1")}


_SPELLINGS = ("", "GmbH", "& Co.", *SUFFIXES)


@settings(deadline=None)
@given(
    base=st.lists(st.from_regex(r"[A-Z][a-z]{2,9}", fullmatch=True), min_size=1, max_size=3).map(" ".join),
    suffix=st.sampled_from(_SPELLINGS),
    rival_suffix=st.sampled_from(_SPELLINGS),
    email=st.sampled_from(["", "ap@pair.example"]),
    phone=st.sampled_from(["", "212 555 0100"]),
    rival_email=st.sampled_from(["", "rival@other.example", "same"]),
    rival_phone=st.sampled_from(["", "646 555 0199", "same"]),
    rival_contact=st.booleans(),
    shout=st.booleans(),
)
def test_a_rival_that_matches_only_without_its_suffix_never_undoes_a_full_name_link(
    base, suffix, rival_suffix, email, phone, rival_email, rival_phone, rival_contact, shout
):
    name, rival_name = f"{base} {suffix}".strip(), f"{base} {rival_suffix}".strip()
    parsed, rival_parsed = parse(name), parse(rival_name)
    assume(parsed.words == rival_parsed.words == tuple(base.lower().split()))
    assume(parsed.suffix_words != rival_parsed.suffix_words)
    contact = R("c", name, email=email, phone=phone)
    customer = R("q", name.upper() if shout else name, email=email, phone=phone)
    assert linked([contact], [customer]) == {("c", "q")}

    # The rival has no email or phone of the pair's that the pair does not share.
    evidence = {
        "email": email if rival_email == "same" else rival_email,
        "phone": phone if rival_phone == "same" else rival_phone,
    }
    rival_contacts = [R("rc", rival_name, **evidence)] if rival_contact else []
    assert ("c", "q") in linked([contact, *rival_contacts], [customer, R("rq", rival_name, **evidence)])
