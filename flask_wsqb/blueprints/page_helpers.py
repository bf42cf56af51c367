"""Helpers the extension's templates and the host's templates both call (Jinja globals)."""

from __future__ import annotations

from flask import g, url_for
from markupsafe import Markup

from ..state import current_state


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
