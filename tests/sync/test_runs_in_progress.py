"""A run keeps going when the user leaves its page: the form, opened again without ?run=, shows
it, and rows it still holds are not sent again by a second Export Selected."""

from __future__ import annotations

import re

from tests.helpers import EXPORT, add_contacts, post_form, run_id_of, wait_for_run


def shown_run_id(client, page: str) -> str | None:
    found = re.search(r'data-run-url="[^"]*/runs/(\d+)\.json"', client.get(page).get_data(as_text=True))
    return found.group(1) if found else None


def test_an_unfinished_run_is_shown_and_its_rows_are_not_exported_twice(linked_app, client, qbo):
    ids = add_contacts(linked_app, *({"display_name": f"Slow Client {i}"} for i in range(3)))
    qbo.fail_next(count=1, path="/batch", mode="hang", hang_seconds=3.0)  # QuickBooks is slow today
    first = run_id_of(post_form(client, EXPORT, EXPORT, {"selected": ids[:2]}))
    assert shown_run_id(client, EXPORT) == str(first)  # back from the menu, no ?run=: its progress

    again = post_form(client, EXPORT, EXPORT, {"selected": ids}, follow_redirects=False)
    second = run_id_of(again)
    assert second != first
    flashed = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "2 of the selected contacts are already being exported by a run in progress" in flashed
    report = wait_for_run(client, second)
    assert [item["key"] for item in report["items"]] == [ids[2]]

    only_held = post_form(client, EXPORT, EXPORT, {"selected": ids[:1]})  # every row held: no new run
    assert only_held.headers["Location"].endswith(f"run={first}")
    assert wait_for_run(client, first)["ok"] == 2
    assert sorted(c["DisplayName"] for c in qbo.customers()) == [f"Slow Client {i}" for i in range(3)]
    assert shown_run_id(client, EXPORT) is None  # nothing unfinished: a fresh form
