"""The extension's forms: FlaskForm for the host's CSRF token on every POST."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from .models import AutoSync, NewContacts, NewCustomers


class ActionForm(FlaskForm):
    """A POST button with nothing but the CSRF token (connect, disconnect, pull...)."""


class AutoSyncForm(FlaskForm):
    """The Connection page's automatic sync settings."""

    auto_sync = SelectField(
        "Automatic sync",
        choices=[
            SelectChoice(AutoSync.OFF, "Off"),
            SelectChoice(AutoSync.FROM_QUICKBOOKS, "QuickBooks → app"),
            SelectChoice(AutoSync.BOTH, "Both ways"),
        ],
        coerce=AutoSync,
    )
    new_customers = SelectField(
        "New customers in QuickBooks",
        choices=[
            SelectChoice(NewCustomers.CREATE, "Create a contact"),
            SelectChoice(NewCustomers.PROPOSE, "Propose a match on Match Contacts"),
            SelectChoice(NewCustomers.IGNORE, "Ignore"),
        ],
        coerce=NewCustomers,
    )
    new_contacts = SelectField(
        "New contacts in the app",
        choices=[
            SelectChoice(NewContacts.EXPORT, "Export them"),
            SelectChoice(NewContacts.LEAVE, "Leave them for Export"),
        ],
        coerce=NewContacts,
    )
