"""Helpers the extension's templates and the host's templates both call (Jinja globals)."""

from __future__ import annotations

from flask import g, url_for
from markupsafe import Markup

from ..config import setting
from ..quickbooks.tokens import current_connection
from ..state import current_state
from ..sync import links, mirror


def assets() -> Markup:
    """The extension's stylesheet and script: ``{{ wsqb_assets() }}`` in the host's layout styles the
    menus and history the extension renders in host pages (its own pages include them already).
    Once per page: a second call (the host's layout and an extension page both) adds nothing."""
    if g.get("wsqb_assets_included"):
        return Markup("")
    g.wsqb_assets_included = True
    links = "\n".join(
        f'<link rel="stylesheet" href="{url_for("wsqb.static", filename=name)}">' for name in ("wsqb.css", "grid.css")
    )
    script = url_for("wsqb.static", filename="wsqb.js")
    return Markup(f'{links}\n<script src="{script}" defer></script>')


def contact_url(contact_id: str) -> str | None:
    """The host's page of one contact (its ``contact_endpoint``), or None when it has named none."""
    endpoint = current_state().extension.contact_endpoint
    return url_for(endpoint, contact_id=contact_id) if endpoint else None


def linked_customer(contact_id: object) -> dict | None:
    """The QuickBooks customer a contact is linked to, for the host's contact page:
    ``{"id", "name", "url"}`` (``url`` None when there is no QuickBooks page to open), or None when
    the contact is not linked (or no company is connected)."""
    row = current_connection()
    if row is None:
        return None
    customer_id = links.customers_by_contact(row.realm_id, [str(contact_id)]).get(str(contact_id))
    if customer_id is None:
        return None
    listed = mirror.get(row.realm_id, [customer_id]).get(customer_id)
    name = listed.display_name if listed is not None else f"customer {customer_id}"
    return {"id": customer_id, "name": name, "url": customer_url(row.realm_id, customer_id)}


#: QuickBooks Online's own page of a customer, by environment.
_QUICKBOOKS_SITES = {"production": "https://app.qbo.intuit.com", "sandbox": "https://app.sandbox.qbo.intuit.com"}


def customer_url(realm_id: str, customer_id: str) -> str | None:
    """Where a customer opens in QuickBooks: ``WSQB_CUSTOMER_URL`` (with ``{customer_id}`` and
    ``{realm_id}``) when set, else QuickBooks Online's page for the environment; None for an
    emulator, which has none."""
    template = setting("CUSTOMER_URL")
    if template:
        return str(template).format(customer_id=customer_id, realm_id=realm_id)
    site = _QUICKBOOKS_SITES.get(str(setting("ENVIRONMENT")).lower())
    return f"{site}/app/customerdetail?nameId={customer_id}" if site else None
