"""Auto Match against labelled sets with every kind of noise and trap, over several seeds."""

from __future__ import annotations

import pytest

from flask_wsqb.matching import auto_match
from flask_wsqb.testing.matching_data import labelled_set, precision_recall


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_precision_and_recall_on_a_labelled_set(seed):
    data = labelled_set(3000, seed)
    precision, recall = precision_recall(auto_match(data.contacts, data.customers), data.truth)
    assert precision >= 0.995, precision
    assert recall >= 0.90, recall


def test_the_labelled_set_is_reproducible():
    assert labelled_set(200, 4) == labelled_set(200, 4)
