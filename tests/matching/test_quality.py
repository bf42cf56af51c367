"""Auto Match against labelled sets with every kind of noise and trap, dense families included,
over several seeds."""

from __future__ import annotations

import pytest

from flask_wsqb.matching import auto_match
from flask_wsqb.testing.matching_data import FAMILIES, labelled_set, precision_recall


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_precision_and_recall_on_a_dense_labelled_set(seed):
    data = labelled_set(3000, seed)
    matches = auto_match(data.contacts, data.customers)
    precision, recall = precision_recall(matches, data.truth)
    assert precision >= 0.995, precision
    assert recall >= 0.90, recall
    _, family_recall = precision_recall(matches, data.trapped("suffix family"))
    assert family_recall >= 0.85, family_recall


def test_the_labelled_set_is_reproducible():
    assert labelled_set(200, 4) == labelled_set(200, 4)


def test_the_labelled_set_is_one_to_one_with_dense_families():
    data = labelled_set(1000, 4)
    contact_ids, customer_ids = [c.id for c in data.contacts], [q.id for q in data.customers]
    assert len(set(contact_ids)) == len(contact_ids) and len(set(customer_ids)) == len(customer_ids)
    assert len({c for c, _ in data.truth}) == len({q for _, q in data.truth}) == len(data.truth)
    assert {c for c, _ in data.truth} <= set(contact_ids) and {q for _, q in data.truth} <= set(customer_ids)
    assert all(data.trapped(family) for family in FAMILIES)
    assert len(data.trapped("suffix family")) >= len(data.truth) / 10
