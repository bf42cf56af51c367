"""Reading ids and filters from URLs and forms: anything non-canonical or out of range is
"no such thing" (a 404, or left out of a selection), never a 500 or a second spelling of an id."""

from __future__ import annotations

from typing import Any

from flask import request

#: The largest id the extension's tables hold (a 32-bit INTEGER on PostgreSQL).
MAX_ID = 2**31 - 1
#: The URL converter for the extension's own ids.
ID = f"int(max={MAX_ID})"

#: Query arguments the forms carry from page to page; any other argument is ignored.
FILTERS = ("show_synced", "show_hidden", "hide_synced", "q")


def parse_id(text: str | None) -> int | None:
    """``text`` as one of the extension's ids, if it is one written canonically."""
    if not text or not text.isdigit() or not text.isascii() or (text[0] == "0" and text != "0"):
        return None
    value = int(text)
    return value if value <= MAX_ID else None


def id_arg(name: str) -> int | None:
    return parse_id(request.args.get(name))


def kept_args() -> dict[str, Any]:
    """The form's filters (posted in its action's query string), to carry to the next page."""
    return {key: request.args[key] for key in FILTERS if request.args.get(key)}
