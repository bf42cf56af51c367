"""The entries flask-wsqb adds to the host's menus.

Host templates render them where their own menus are, with the ``wsqb_menu`` Jinja
global and the ``render_menu`` macro of ``wsqb/_menu.html``; the extension never edits
host templates. An entry is shown only to users the host's access check lets use it.
"""

from __future__ import annotations

from flask import url_for

from ..quickbooks.status import status
from ..state import current_state

#: The contact menu's first entry while QuickBooks must be reconnected (a link to the
#: Connection page for users who may reconnect; plain text for the others).
RECONNECT_NOTICE = "QuickBooks must be reconnected"

#: (label, endpoint, access action) of Setup → QuickBooks → Contacts.
_CONTACT_TOOLS = (
    ("Import from QuickBooks", "wsqb.import_form", "import"),
    ("Export to QuickBooks", "wsqb.export_form", "export"),
    ("Match Contacts", "wsqb.match_form", "match"),
)
#: (label, endpoint, access action) of a contact page's QuickBooks Sync menu.
_CONTACT_ACTIONS = (
    ("Pull Current Contact Info from QuickBooks", "wsqb.contact_pull", "pull"),
    ("Sync Current Contact Info (Newest Information)", "wsqb.contact_sync", "sync"),
)


def _entry(label: str, url: str | None = None, *, method: str = "get", children: list | None = None) -> dict:
    return {"label": label, "url": url, "method": method, "children": children or []}


def menu(section: str, **values) -> list[dict]:
    """``wsqb_menu("setup")`` or ``wsqb_menu("contact", contact_id=...)``: a list of entries
    ``{"label", "url", "method", "children"}``, empty when the user may use none of them. An
    entry with no url and no children is a notice, shown as text."""
    allows = current_state().extension.allows
    if section == "setup":
        tools = [_entry(label, url_for(endpoint)) for label, endpoint, action in _CONTACT_TOOLS if allows(action)]
        children = [_entry("Connection", url_for("wsqb.connection"))] if allows("connection") else []
        if tools:
            children.append(_entry("Contacts", children=tools))
        if allows("connection"):
            children.append(_entry("Sync Health", url_for("wsqb.health")))
        if allows("history"):
            children.append(_entry("History", url_for("wsqb.history")))
        return [_entry("QuickBooks", children=children)] if children else []
    if section == "contact":
        actions = [
            _entry(label, url_for(endpoint, **values), method="post")
            for label, endpoint, action in _CONTACT_ACTIONS
            if allows(action)
        ]
        if not actions:
            return []
        if status().needs_reconnect:
            # Said before Pull and Sync are tried; they say it too.
            notice = url_for("wsqb.connection") if allows("connection") else None
            actions.insert(0, _entry(RECONNECT_NOTICE, notice))
        return [_entry("Import/Export Contacts", children=[_entry("QuickBooks Sync", children=actions)])]
    raise ValueError(f"wsqb_menu: unknown section {section!r}; use 'setup' or 'contact'.")
