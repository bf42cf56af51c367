"""Signals hosts may subscribe to (blinker, through Flask's signal namespace).

Each is sent with the app as sender after the change is committed.
"""

from __future__ import annotations

from flask.signals import Namespace

_signals = Namespace()

#: A QuickBooks customer became or updated a contact: ``contact_id``, ``customer_id``, ``created``.
contact_imported = _signals.signal("wsqb-contact-imported")
#: A contact became or updated a QuickBooks customer: ``contact_id``, ``customer_id``, ``created``.
contact_exported = _signals.signal("wsqb-contact-exported")
#: A row of a run failed: ``run_id``, ``key``, ``message``.
sync_failed = _signals.signal("wsqb-sync-failed")
