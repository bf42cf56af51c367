"""Auto Match and its proposals: what the Match Contacts form shows and acts on.

Auto Match runs as a job: it reads every unlinked contact and every unlinked customer
(from the local copy), asks the pure engine in :mod:`flask_wsqb.matching`, and stores its
answers as proposals. Nothing is linked until a person accepts; a contact without a good
candidate gets no proposal at all, and an ambiguous one is only offered for review.
"""

from __future__ import annotations

import sqlalchemy as sa

from .. import matching
from ..models import ProposalStatus
from ..state import current_state
from ..tenancy import current_tenant, mine, same_tenant
from . import grids, links, mirror, runs


def auto_match(run, gateway) -> None:
    """The "match" job: replace the open proposals with fresh ones."""
    mirror.refresh_before(run, gateway)
    runs.start(run)
    realm_id = gateway.realm_id
    result = matching.match_all(_contact_records(realm_id), _customer_records(realm_id))
    rows = _store(realm_id, result)
    proposed = sum(1 for r in rows if r["status"] == ProposalStatus.PROPOSED)
    review = len({r["contact_id"] for r in rows if r["status"] == ProposalStatus.REVIEW})
    runs.finish(
        run,
        message=f"Auto Match proposed {proposed} link{'s' * (proposed != 1)}; "
        f"{review} contact{'s' * (review != 1)} need{'s' * (review == 1)} your review. "
        "Nothing is linked until you accept.",
    )


def propose_for(realm_id: str, customer_ids: list[str]) -> int:
    """Proposals for these customers only (new in QuickBooks, seen by automatic sync), beside the
    open ones; returns how many were added. The caller commits."""
    wanted = set(customer_ids)
    customers = [record for record in _customer_records(realm_id) if record.id in wanted]
    if not customers:
        return 0
    result = matching.match_all(_contact_records(realm_id), customers)
    return len(_store(realm_id, result, customer_ids=wanted))


def _store(realm_id: str, result: matching.MatchResult, customer_ids: set[str] | None = None) -> list[dict]:
    """Replace the open proposals (of ``customer_ids``, or all) with the engine's matches and
    reviews, except the pairs a person rejected."""
    session = current_state().db.session
    Proposal = current_state().models.MatchProposal
    replaced = sa.delete(Proposal).where(
        *mine(Proposal), Proposal.realm_id == realm_id, Proposal.status != ProposalStatus.REJECTED
    )
    if customer_ids is not None:
        replaced = replaced.where(Proposal.customer_id.in_(customer_ids))
    session.execute(replaced)
    rejected = set(
        session.execute(
            sa.select(Proposal.contact_id, Proposal.customer_id).where(
                *mine(Proposal), Proposal.realm_id == realm_id, Proposal.status == ProposalStatus.REJECTED
            )
        ).all()
    )
    rows = [
        {
            "tenant": current_tenant(),
            "realm_id": realm_id,
            "contact_id": m.contact_id,
            "customer_id": m.customer_id,
            "score": round(float(m.score), 1),
            "reason": m.reason[:500],
            "status": status,
        }
        for status, found in ((ProposalStatus.PROPOSED, result.matches), (ProposalStatus.REVIEW, result.review))
        for m in found
        if (m.contact_id, m.customer_id) not in rejected
    ]
    if rows:
        session.execute(sa.insert(Proposal), rows)
    return rows


def ranked_customers(realm_id: str, contact, limit: int = 10) -> list[tuple[str, float, str]]:
    """(customer id, score, reason) of the unlinked customers most like ``contact``, best first."""
    store = current_state().contacts
    found = matching.rank(_record(store.contact_id(contact), store.read(contact)), _customer_records(realm_id), limit)
    return [(m.customer_id, m.score, m.reason) for m in found]


def _contact_records(realm_id: str) -> list[matching.MatchRecord]:
    state = current_state()
    store = state.contacts
    linked = set(links.customers_by_contact(realm_id))
    contacts = ((store.contact_id(contact), contact) for contact in store.iter_all(state.db.session))
    return [_record(contact_id, store.read(contact)) for contact_id, contact in contacts if contact_id not in linked]


def _customer_records(realm_id: str) -> list[matching.MatchRecord]:
    state = current_state()
    Customer, ContactLink = state.models.Customer, state.models.ContactLink
    rows = state.db.session.execute(
        sa.select(Customer.customer_id, Customer.data)
        .outerjoin(
            ContactLink,
            same_tenant(ContactLink, Customer, "realm_id", "customer_id"),
        )
        .where(*mine(Customer), Customer.realm_id == realm_id, Customer.deleted.is_(False), ContactLink.id.is_(None))
    )
    return [_record(customer_id, state.contacts.fields.from_customer(data or {})) for customer_id, data in rows]


def _record(record_id: str, f: dict[str, str]) -> matching.MatchRecord:
    """What Auto Match compares of a contact's or a customer's field values."""
    return matching.MatchRecord(
        id=record_id,
        display_name=f["display_name"],
        given_name=f["first_name"],
        family_name=f["last_name"],
        company_name=f["company"],
        email=f["email"],
        phone=f["phone"],
    )


def accept(realm_id: str, proposal_ids: list[int], by: str | None) -> tuple[int, list[str]]:
    """Link the proposals' pairs; returns (linked, reasons some were not)."""
    state = current_state()
    Proposal = state.models.MatchProposal
    proposals = state.db.session.execute(
        sa.select(Proposal)
        .where(
            *mine(Proposal),
            Proposal.realm_id == realm_id,
            Proposal.id.in_(proposal_ids),
            Proposal.status != ProposalStatus.REJECTED,
        )
        .order_by(Proposal.score.desc(), Proposal.id)
    ).scalars()
    linked, problems = 0, []
    for proposal in proposals:
        try:
            link_pair(realm_id, proposal.contact_id, proposal.customer_id, "auto", by)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        linked += 1
    state.db.session.commit()
    return linked, problems


def accept_above(realm_id: str, score: float, show_hidden: bool, by: str | None) -> tuple[int, list[str]]:
    """Accept every confident proposal scoring at least ``score`` that Match Contacts shows with
    Show Hidden as given (never the review ones, never a row the page did not show)."""
    return accept(realm_id, grids.acceptable_proposals(realm_id, score, show_hidden), by)


def is_open(realm_id: str, proposal_id: int) -> bool:
    """Whether this firm has this proposal, not rejected."""
    Proposal = current_state().models.MatchProposal
    found = current_state().db.session.scalar(
        sa.select(Proposal.id).where(
            *mine(Proposal),
            Proposal.realm_id == realm_id,
            Proposal.id == proposal_id,
            Proposal.status != ProposalStatus.REJECTED,
        )
    )
    return found is not None


def reject(realm_id: str, proposal_id: int) -> None:
    state = current_state()
    Proposal = state.models.MatchProposal
    state.db.session.execute(
        sa.update(Proposal)
        .where(*mine(Proposal), Proposal.realm_id == realm_id, Proposal.id == proposal_id)
        .values(status=ProposalStatus.REJECTED)
    )
    state.db.session.commit()


def link_by_hand(realm_id: str, contact_id: str, customer_id: str, by: str | None) -> None:
    """Link a contact and a customer the user picked (ValueError saying why not)."""
    link_pair(realm_id, contact_id, customer_id, "manual", by)
    current_state().db.session.commit()


def unlink_by_hand(realm_id: str, contact_id: str, by: str | None) -> bool:
    """Remove the contact's link; False when it had none. Nothing changes in either record."""
    unlinked = links.unlink(realm_id, contact_id, "manual", by) is not None
    current_state().db.session.commit()
    return unlinked


def undo(realm_id: str, event_id: int, by: str | None) -> str:
    """Reverse one link history entry; says what was done (ValueError saying why not)."""
    message = links.undo(realm_id, event_id, by)
    current_state().db.session.commit()
    return message


def link_pair(realm_id: str, contact_id: str, customer_id: str, how: str, by: str | None) -> None:
    """Link one contact and one customer if both are free; the open proposals of both go."""
    if links.customers_by_contact(realm_id, [contact_id]):
        raise ValueError("That contact is already linked; unlink it first.")
    holder = links.contacts_by_customer(realm_id, [customer_id])
    if holder:
        raise ValueError("That QuickBooks customer is already linked to another contact.")
    links.link(realm_id, contact_id, customer_id, how, by)
    state = current_state()
    Proposal = state.models.MatchProposal
    state.db.session.execute(
        sa.delete(Proposal).where(
            *mine(Proposal),
            Proposal.realm_id == realm_id,
            Proposal.status != ProposalStatus.REJECTED,
            sa.or_(Proposal.contact_id == str(contact_id), Proposal.customer_id == str(customer_id)),
        )
    )
