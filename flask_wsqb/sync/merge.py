"""The three-way field merge every path shares: Sync, Export and Import of linked rows, Pull.

Pure: values in, a plan out; no I/O. Values are the fields as Sync compares them
(:meth:`flask_wsqb.fields.FieldSet.values`: the synced fields plus ``active``).

"Newest wins" loses edits (a phone changed in the app on Monday overwritten by an address
changed in QuickBooks on Tuesday). So each link keeps the values both sides last agreed on,
its :class:`Agreement` (stored as the link's baseline), as each side holds them: a host that
stores "Anthony B." when QuickBooks sent "Anthony" agreed on that pair, and neither value counts
as a change later. A field changed on one side only takes that side's value; a field changed on
both takes the newer side's value and is a conflict; unchanged fields are left alone. A field
with no agreed value (a first sync) counts as changed on both sides, except that a value only ever
fills an empty field then (an empty field was never cleared, so it has nothing to win). **On a tie** (same
modified time, or the contact has none) QuickBooks wins: it is the firm's books of record.

Sync applies both directions of a plan. Export of a linked contact applies only what goes
to QuickBooks and Import of a linked customer only what goes to the app; what the other side
won is left as it is and said on the row, for Sync to bring over.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from ..fields import FieldSet

#: Which way a plan's changes flow: QuickBooks → app, or app → QuickBooks.
APP, QUICKBOOKS = "app", "quickbooks"


@dataclass
class Plan:
    """What a merge changes: ``{field: (old, new)}`` per side, and the conflicts."""

    to_app: dict[str, tuple[str, str]] = field(default_factory=dict)
    to_quickbooks: dict[str, tuple[str, str]] = field(default_factory=dict)
    conflicts: set[str] = field(default_factory=set)

    def only(self, side: str) -> tuple[Plan, dict[str, tuple[str, str]]]:
        """This plan restricted to changes of ``side``, and the changes it leaves out."""
        if side == APP:
            return Plan(to_app=self.to_app, conflicts=self.conflicts & set(self.to_app)), self.to_quickbooks
        return Plan(to_quickbooks=self.to_quickbooks, conflicts=self.conflicts & set(self.to_quickbooks)), self.to_app


@dataclass(frozen=True)
class Agreement:
    """The values both sides last agreed on, field by field, as each side holds them."""

    app: dict[str, str]
    quickbooks: dict[str, str]

    @classmethod
    def stored(cls, data: dict | None) -> Agreement | None:
        """Read a link's baseline (earlier releases kept one value for both sides)."""
        if data is None:
            return None
        if set(data) == {APP, QUICKBOOKS}:
            return cls(dict(data[APP]), dict(data[QUICKBOOKS]))
        return cls(dict(data), dict(data))

    def to_store(self) -> dict:
        return {APP: self.app, QUICKBOOKS: self.quickbooks}


def decide(app: dict[str, str], quickbooks: dict[str, str], agreed: Agreement | None, *, app_is_newer: bool) -> Plan:
    """Which side's value each differing field takes."""
    plan = Plan()
    for name, ours in app.items():
        theirs = quickbooks.get(name, "")
        if ours == theirs:
            continue
        app_agreed = None if agreed is None else agreed.app.get(name)
        quickbooks_agreed = None if agreed is None else agreed.quickbooks.get(name)
        app_changed = app_agreed is None or ours != app_agreed
        quickbooks_changed = quickbooks_agreed is None or theirs != quickbooks_agreed
        if not app_changed and not quickbooks_changed:
            continue  # the two sides agreed on these two values
        app_wins = app_changed
        if app_changed and quickbooks_changed:
            if app_agreed is None and not (ours and theirs):
                app_wins = bool(ours)  # nothing agreed yet: a value fills an empty field, never the reverse
            else:
                app_wins = app_is_newer
                if app_agreed is not None:
                    plan.conflicts.add(name)
        if app_wins:
            plan.to_quickbooks[name] = (theirs, ours)
        else:
            plan.to_app[name] = (ours, theirs)
    return plan


def changed_since(values: dict[str, str], agreed: dict[str, str] | None) -> set[str]:
    """The fields of one side that changed since both sides agreed on ``agreed`` (that side's
    agreed values; None: never synced). A field never agreed on counts once it holds a value."""
    agreed = agreed or {}
    return {name for name, value in values.items() if (agreed[name] != value if name in agreed else bool(value))}


def app_is_newer(app_modified: datetime | None, quickbooks_modified: datetime | None) -> bool:
    """Whether the contact changed after the customer (a tie, or no time for the contact: no)."""
    if app_modified is None:
        return False
    if quickbooks_modified is None:
        return True
    if quickbooks_modified.microsecond == 0:
        # QuickBooks writes whole seconds: an edit in the same second is a tie, not newer
        app_modified = app_modified.replace(microsecond=0)
    return app_modified > quickbooks_modified


def next_agreement(
    previous: Agreement | None, app: dict[str, str], quickbooks: dict[str, str], written: Iterable[str] = ()
) -> Agreement:
    """What both sides agree on now. ``app`` is the contact as read back after the write, so a
    value the host stored differently from what it was given (its own normalisation) is agreed
    as it stands. Fields holding the same value on both sides, and the ``written`` ones (just
    copied from one side to the other), take their values now; a field left different keeps
    what was agreed before, so its next merge still knows which side changed it."""
    settled = set(written)
    agreed_app = dict(previous.app) if previous else {}
    agreed_quickbooks = dict(previous.quickbooks) if previous else {}
    for name, value in app.items():
        if name in settled or quickbooks.get(name) == value:
            agreed_app[name], agreed_quickbooks[name] = value, quickbooks.get(name, "")
    return Agreement(agreed_app, agreed_quickbooks)


def describe(what: str, plan: Plan, fields: FieldSet) -> str:
    """Exactly which fields changed on which side, in words."""
    parts = []
    for where, changes in (("in the app", plan.to_app), ("in QuickBooks", plan.to_quickbooks)):
        if changes:
            listed = ", ".join(f"{fields.label(f)} ('{old}' → '{new}')" for f, (old, new) in changes.items())
            parts.append(f"Changed {where}: {listed}.")
    if plan.conflicts:
        parts.append(
            "Changed on both sides since the last sync, the newer value was kept: "
            + ", ".join(fields.label(f) for f in sorted(plan.conflicts))
            + "."
        )
    return f"{what}. " + (" ".join(parts) if parts else "Nothing needed changing.")


def left_alone(newer_side: str, changes: dict[str, tuple[str, str]], fields: FieldSet) -> str:
    """What a one-way merge did not take: "QuickBooks has a newer Phone; left as it is — use
    Sync to bring it in." (``newer_side``: the side whose values were left)."""
    if not changes:
        return ""
    names = [fields.label(f).capitalize() for f in changes]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    one = len(names) == 1
    if newer_side == QUICKBOOKS:
        return (
            f"QuickBooks has a newer {listed}; left as {'it is' if one else 'they are'} — "
            f"use Sync to bring {'it' if one else 'them'} in."
        )
    return (
        f"The app has a newer {listed}; left as {'it is' if one else 'they are'} — "
        f"use Sync to send {'it' if one else 'them'} to QuickBooks."
    )


def hidden_state_note(app: dict[str, str], quickbooks: dict[str, str]) -> str:
    """After linking two records that already existed: say when one is hidden or inactive and
    the other is not. Neither is changed: which one is right is the user's call (Sync decides
    by the newer record)."""
    if not quickbooks or app.get("active") == quickbooks.get("active"):
        return ""
    if quickbooks.get("active") == "no":
        where = "The customer is inactive in QuickBooks but the contact is not hidden"
    else:
        where = "The contact is hidden but the customer is active in QuickBooks"
    return f"{where}; both were left as they are — use Sync to bring them together."
