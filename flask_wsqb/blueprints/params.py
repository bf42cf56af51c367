"""Reading ids and filters from URLs and forms: anything non-canonical or out of range is
"no such thing" (a 404, or left out of a selection), never a 500 or a second spelling of an id."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import request, url_for
from werkzeug.datastructures import MultiDict

from ..sync.grids import DEFAULT_PER_PAGE, PER_PAGE_CHOICES, View

#: The largest id the extension's tables hold (a 32-bit INTEGER on PostgreSQL).
MAX_ID = 2**31 - 1
#: The URL converter for the extension's own ids.
ID = f"int(max={MAX_ID})"
#: The last page number a URL may name (any later page shows the grid's last).
MAX_PAGE = 10**6

#: Query arguments the forms carry from page to page; any other argument is ignored.
FILTERS = (
    "show_synced",
    "show_hidden",
    "hide_synced",
    "q",
    "state",
    "sort",
    "dir",
    "per_page",
    "page",
    "cpage",
    "csort",
    "cdir",
)


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


def grid_view(
    states: tuple[str, ...], sorts: tuple[str, ...], values: MultiDict | None = None, prefix: str = ""
) -> View:
    """The search, row-state filter, order and page a grid's URL asks for (``prefix``: the
    arguments of a page's second grid); anything unknown is the grid's default."""
    values = request.args if values is None else values
    per_page = parse_id(values.get("per_page"))
    direction = values.get(prefix + "dir")
    return View(
        search=values.get("q", "")[:200],
        state=one_of(values.get(prefix + "state"), states),
        sort=one_of(values.get(prefix + "sort"), sorts),
        descending={"asc": False, "desc": True}.get(direction or ""),
        page=min(parse_id(values.get(prefix + "page")) or 1, MAX_PAGE) or 1,
        per_page=per_page if per_page in PER_PAGE_CHOICES else DEFAULT_PER_PAGE,
    )


def one_of(value: str | None, allowed: tuple[str, ...]) -> str:
    return value if value in allowed else ""


def date_arg(name: str) -> date | None:
    """A date written YYYY-MM-DD (what ``<input type=date>`` sends), else None."""
    try:
        value = date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None
    return value if 1900 <= value.year <= 9000 else None  # a day later is still a date


def here(**changes: Any) -> str:
    """This page's URL with some arguments changed (None: left out), for the grids' pager, page
    size and column headers. Ticks are not carried: the script adds the ones that are ticked."""
    args: dict[str, Any] = {key: request.args.getlist(key) for key in request.args if _plain(key)}
    for key, value in changes.items():
        args[key] = [] if value is None else [str(value)]
    return url_for(request.endpoint or "", **{k: v for k, v in args.items() if v}, **(request.view_args or {}))


def _plain(key: str) -> bool:
    """A query argument ``here`` carries: not the ticks, nor a name url_for reads itself
    (``_external``, ``endpoint``...) or one of the URL's own."""
    return key != "selected" and key != "endpoint" and not key.startswith("_") and key not in (request.view_args or {})
