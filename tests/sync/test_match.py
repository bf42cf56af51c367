"""Match Contacts through HTTP, against the emulator, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from tests.helpers import IMPORT, add_contact, linked_pairs, post_form, refresh_list, run_id_of, wait_for_run

MATCH = "/setup/quickbooks/contacts/match"


def rows(client, query: str = "") -> dict[str, list[tuple[str, str]]]:
    """{contact id: [(customer id, state), ...]} as the Match grid shows them."""
    html = client.get(MATCH + query).get_data(as_text=True)
    found: dict[str, list[tuple[str, str]]] = {}
    for contact_id, customer_id, state in re.findall(
        r'data-contact-id="([^"]+)"(?: data-customer-id="([^"]*)")? data-state="([^"]+)"', html
    ):
        found.setdefault(contact_id, []).append((customer_id, state))
    return found


def auto_match(client) -> dict:
    answer = post_form(client, MATCH, MATCH + "/auto")
    return wait_for_run(client, run_id_of(answer))


def proposal_ids(client) -> list[str]:
    return re.findall(r"/contacts/match/proposals/(\d+)/accept", client.get(MATCH).get_data(as_text=True))


def test_auto_match_proposes_and_accepting_hides_it_from_import(linked_app, client, qbo):
    robert = add_contact(
        linked_app, display_name="Robert Smith", first_name="Robert", last_name="Smith", email="bob@smith.example"
    )
    loner = add_contact(linked_app, display_name="Zebulon Quaxley")
    bob = qbo.add_customer(
        {
            "DisplayName": "Bob Smith",
            "GivenName": "Bob",
            "FamilyName": "Smith",
            "PrimaryEmailAddr": {"Address": "BOB@smith.example"},
        }
    )
    other = qbo.add_customer({"DisplayName": "Cedar Bakery"})
    report = auto_match(client)
    assert report["state"] == "done" and "Nothing is linked until you accept" in report["message"]
    shown = rows(client)
    assert shown[robert] == [(bob["Id"], "proposed")]
    assert shown[loner] == [("", "unmatched")]  # no result: not linked to anything
    assert linked_pairs(linked_app) == set()

    [proposal] = proposal_ids(client)
    post_form(client, MATCH, f"{MATCH}/proposals/{proposal}/accept")
    assert linked_pairs(linked_app) == {(robert, bob["Id"])}
    assert rows(client)[robert] == [(bob["Id"], "linked")]
    assert robert not in rows(client, "?hide_synced=1")
    import_page = client.get(IMPORT).get_data(as_text=True)
    assert f'data-id="{bob["Id"]}"' not in import_page and f'data-id="{other["Id"]}"' in import_page


def test_same_name_different_people_are_left_for_review(linked_app, client, qbo):
    john = add_contact(linked_app, display_name="John Smith")
    first = qbo.add_customer({"DisplayName": "John Smith", "PrimaryEmailAddr": {"Address": "john@one.example"}})
    qbo.add_customer({"DisplayName": "John  Smith.", "PrimaryEmailAddr": {"Address": "john@two.example"}})
    auto_match(client)
    states = {state for _customer, state in rows(client)[john]}
    assert "proposed" not in states
    assert linked_pairs(linked_app) == set()
    # accepting all above any score never takes a review proposal
    post_form(client, MATCH, MATCH + "/accept-above", {"score": "0"})
    assert linked_pairs(linked_app) == set()
    assert first["Id"]


def test_reject_is_remembered_and_accept_above_links_the_rest(linked_app, client, qbo):
    a = add_contact(linked_app, display_name="Harbor Dental Inc.", email="desk@harbor.example")
    b = add_contact(linked_app, display_name="Prairie Farms LLC", email="hello@prairie.example")
    ha = qbo.add_customer({"DisplayName": "Harbor Dental", "PrimaryEmailAddr": {"Address": "desk@harbor.example"}})
    pr = qbo.add_customer({"DisplayName": "Prairie Farms", "PrimaryEmailAddr": {"Address": "hello@prairie.example"}})
    auto_match(client)
    html = client.get(MATCH).get_data(as_text=True)
    reject_harbor = re.search(
        rf'data-contact-id="{a}" data-customer-id="{ha["Id"]}".*?proposals/(\d+)/reject', html, re.S
    ).group(1)
    post_form(client, MATCH, f"{MATCH}/proposals/{reject_harbor}/reject")
    auto_match(client)  # a rejected pair is not proposed again
    assert rows(client)[a] == [("", "unmatched")]
    answer = post_form(client, MATCH, MATCH + "/accept-above", {"score": "90"}, follow_redirects=True)
    assert "Linked 1 contact." in answer.get_data(as_text=True)
    assert linked_pairs(linked_app) == {(b, pr["Id"])}


def test_bulk_accept_links_exactly_the_rows_the_page_shows(linked_app, client, qbo):
    pairs = {}
    for name, hidden, active in (
        ("Shown Bakery", False, True),
        ("Hidden Bakery", True, True),
        ("Inactive Bakery", False, False),
    ):
        contact = add_contact(
            linked_app, display_name=name, email=f"{name.split()[0].lower()}@bakery.example", hidden=hidden
        )
        customer = qbo.add_customer(
            {
                "DisplayName": name,
                "Active": active,
                "PrimaryEmailAddr": {"Address": f"{name.split()[0].lower()}@bakery.example"},
            }
        )
        pairs[name] = (contact, customer["Id"])
    auto_match(client)
    assert "Accept (1)" in client.get(MATCH).get_data(as_text=True)
    assert "Accept (3)" in client.get(MATCH + "?show_hidden=1").get_data(as_text=True)
    answer = post_form(client, MATCH, MATCH + "/accept-above", {"score": "90"}, follow_redirects=True)
    assert "Linked 1 contact." in answer.get_data(as_text=True)
    assert linked_pairs(linked_app) == {pairs["Shown Bakery"]}
    answer = post_form(
        client, MATCH + "?show_hidden=1", MATCH + "/accept-above?show_hidden=1", {"score": "90"}, follow_redirects=True
    )
    assert "Linked 2 contacts." in answer.get_data(as_text=True)
    assert linked_pairs(linked_app) == set(pairs.values())


def test_manual_link_unlink_and_undo_are_recorded(linked_app, client, qbo):
    contact = add_contact(linked_app, display_name="Keystone Realty Group")
    customer = qbo.add_customer({"DisplayName": "KRG Holdings"})
    refresh_list(client)
    picker = client.get(f"{MATCH}/contacts/{contact}/link?q=krg").get_data(as_text=True)
    assert f'value="{customer["Id"]}"' in picker
    post_form(
        client, f"{MATCH}/contacts/{contact}/link", f"{MATCH}/contacts/{contact}/link", {"customer_id": customer["Id"]}
    )
    assert linked_pairs(linked_app) == {(contact, customer["Id"])}
    post_form(client, MATCH, f"{MATCH}/contacts/{contact}/unlink")
    assert linked_pairs(linked_app) == set()
    history = client.get(MATCH).get_data(as_text=True)
    events = re.findall(
        r'data-event-id="(\d+)"><td>[^<]*</td>\s*<td>(Linked|Unlinked)\b.*?</td>\s*<td>(\w+)</td>', history
    )
    assert [(what, how) for _id, what, how in events] == [("Unlinked", "manual"), ("Linked", "manual")]
    words = re.sub(r"<[^>]+>", "", history)  # the contact's name links to its page
    assert "Linked Keystone Realty Group to QuickBooks customer KRG Holdings" in words
    post_form(client, MATCH, f"{MATCH}/history/{events[0][0]}/undo")  # undo the unlink
    assert linked_pairs(linked_app) == {(contact, customer["Id"])}


def test_show_hidden_includes_hidden_contacts_and_inactive_customers(linked_app, client, qbo):
    hidden = add_contact(linked_app, display_name="Old Client", hidden=True, email="old@client.example")
    qbo.add_customer(
        {"DisplayName": "Old Client", "Active": False, "PrimaryEmailAddr": {"Address": "old@client.example"}}
    )
    auto_match(client)
    assert hidden not in rows(client)
    assert [state for _c, state in rows(client, "?show_hidden=1")[hidden]] == ["proposed"]


def test_per_row_import_and_export(linked_app, client, qbo):
    contact = add_contact(linked_app, display_name="Only In The App")
    customer = qbo.add_customer({"DisplayName": "Only In QuickBooks"})
    refresh_list(client)
    export = wait_for_run(client, run_id_of(post_form(client, MATCH, f"{MATCH}/contacts/{contact}/export")))
    imported = wait_for_run(client, run_id_of(post_form(client, MATCH, f"{MATCH}/customers/{customer['Id']}/import")))
    assert export["ok"] == 1 and imported["ok"] == 1
    names = {c["DisplayName"] for c in qbo.customers()}
    assert names == {"Only In The App", "Only In QuickBooks"}
    assert len(linked_pairs(linked_app)) == 2
    assert all(state == "linked" for shown in rows(client).values() for _c, state in shown)


def test_match_actions_need_csrf(linked_app, client):
    assert client.post(MATCH + "/auto").status_code == 400
    assert client.post(MATCH + "/accept-above", data={"score": "0"}).status_code == 400


def test_the_link_picker_opens_with_the_best_candidates_first(linked_app, client, qbo):
    import re

    contact = add_contact(linked_app, display_name="Aaron Wood", email="aaron@wood.example")
    qbo.add_customer({"DisplayName": "Unrelated Plumbing"})
    near = qbo.add_customer({"DisplayName": "Aron Wood"})
    best = qbo.add_customer({"DisplayName": "Aaron Wood LLC", "PrimaryEmailAddr": {"Address": "aaron@wood.example"}})
    refresh_list(client)
    page = client.get(f"{MATCH}/contacts/{contact}/link").get_data(as_text=True)
    assert "Best candidates" in page
    listed = re.findall(r'<tr data-customer-id="(\w+)"', page)
    assert listed[:2] == [best["Id"], near["Id"]]  # ranked by score, the unrelated one not offered
    scores = [float(s) for s in re.findall(r'data-score="([\d.]+)"', page)]
    assert scores == sorted(scores, reverse=True)
    searched = client.get(f"{MATCH}/contacts/{contact}/link?q=plumbing").get_data(as_text=True)
    assert re.findall(r'<tr data-customer-id="(\w+)"', searched) != listed and "Unrelated Plumbing" in searched
