"""SearchSession's merge of the sessions not indexed yet into the store's page, and the clause
test it applies to them."""
import random

import pytest

from layers.bastion.session_search import holds, merge_page
from layers.search.query import AllOf, AnyOf, Contains, Term


def _store(records):
    """fetch() over a sorted list, recording what it was asked for."""
    asked = []

    def fetch(offset, size):
        asked.append((offset, size))
        return len(records), records[offset:offset + size]
    return fetch, asked


@pytest.mark.parametrize("seed", range(40))
def test_every_page_is_the_page_of_the_merged_list(seed):
    rng = random.Random(seed)
    keys = rng.sample([(t, f"s{i}") for t in range(30) for i in range(3)], rng.randrange(0, 40))
    split = rng.randrange(0, len(keys) + 1)
    items = [(k, {"k": k}) for k in keys[:split]]
    stored = sorted(((k, {"k": k}) for k in keys[split:]), reverse=True, key=lambda x: x[0])
    merged = [rec for _, rec in sorted(items + stored, key=lambda x: x[0], reverse=True)]
    for offset in range(0, len(keys) + 3):
        for limit in (0, 1, 2, 5, 50):
            fetch, asked = _store(stored)
            total, page = merge_page(items, fetch, offset, limit)
            assert (total, page) == (len(keys), merged[offset:offset + limit]), (offset, limit)
            assert all(size <= len(items) + limit for _, size in asked)    # never the records before the page


def test_without_items_the_store_pages_alone():
    fetch, asked = _store([((5, "a"), {"k": 1}), ((4, "b"), {"k": 2})])
    assert merge_page([], fetch, 1, 5) == (2, [{"k": 2}]) and asked == [(1, 5)]


def test_holds_as_the_store_matches():
    rec = {"UserName": "alice", "RealName": "Alice Wong", "Status": 1, "Kind": 1}
    assert holds(Term("UserName", ("alice",)), rec) and not holds(Term("UserName", ("ali",)), rec)
    assert holds(Contains("RealName", "WONG"), rec) and not holds(Contains("DeviceName", "x"), rec)
    assert holds(Term("Status", (1, 2)), rec) and not holds(Term("Kind", (2,)), rec)
    assert holds(AnyOf((Term("Kind", (3,)), Contains("RealName", "ali"))), rec)
    assert not holds(AllOf((Term("Kind", (1,)), Term("Status", (2,)))), rec)
    assert holds(Contains("UserName", "ce", prefix="ali"), rec)
    assert not holds(Contains("UserName", "al", prefix="ali"), rec)
