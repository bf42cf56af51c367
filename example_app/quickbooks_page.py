"""The QuickBooks side of the demo: the customers of the current firm's QuickBooks company in the
built-in emulator, each editable as a QuickBooks user would edit it, so that Pull and Sync can be
tried from the browser alone. Registered only while the app uses the built-in emulator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from werkzeug.exceptions import NotFound
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional

from flask_wsqb.quickbooks.status import status

if TYPE_CHECKING:
    from flask_wsqb.testing import QBOEmulator

quickbooks_page = Blueprint("demo_quickbooks", __name__, url_prefix="/demo/quickbooks")

LISTED = 50


def _text(label: str, length: int) -> StringField:
    return StringField(label, validators=[Optional(), Length(max=length)], filters=[lambda v: (v or "").strip()])


class CustomerForm(FlaskForm):
    """The fields Pull and Sync carry, under QuickBooks' own length limits."""

    display_name = StringField(
        "Display name", validators=[DataRequired(), Length(max=500)], filters=[lambda v: (v or "").strip()]
    )
    email = _text("Email", 100)
    phone = _text("Phone", 30)
    street = _text("Street", 500)
    city = _text("City", 255)
    state = _text("State", 255)
    postal_code = _text("ZIP / postal code", 30)

    @classmethod
    def of(cls, customer: dict) -> CustomerForm:
        address = customer.get("BillAddr") or {}
        return cls(
            display_name=customer.get("DisplayName", ""),
            email=(customer.get("PrimaryEmailAddr") or {}).get("Address", ""),
            phone=(customer.get("PrimaryPhone") or {}).get("FreeFormNumber", ""),
            street=address.get("Line1", ""),
            city=address.get("City", ""),
            state=address.get("CountrySubDivisionCode", ""),
            postal_code=address.get("PostalCode", ""),
        )

    def changes(self, customer: dict) -> dict[str, Any]:
        """A sparse update: the display name, and email, phone and address sent whole (as
        QuickBooks' nested objects are) when one of their parts changed; an emptied field too."""
        address = dict(customer.get("BillAddr") or {})
        for key, field in (
            ("Line1", self.street),
            ("City", self.city),
            ("CountrySubDivisionCode", self.state),
            ("PostalCode", self.postal_code),
        ):
            address[key] = field.data
        wanted = {
            "DisplayName": self.display_name.data,
            "PrimaryEmailAddr": {"Address": self.email.data},
            "PrimaryPhone": {"FreeFormNumber": self.phone.data},
            "BillAddr": {key: value for key, value in address.items() if key != "Id"},
        }
        return {key: value for key, value in wanted.items() if _differs(customer.get(key), value)}


def _differs(stored: Any, wanted: Any) -> bool:
    if isinstance(wanted, dict):
        stored = stored or {}
        return any((stored.get(key) or "") != value for key, value in wanted.items())
    return (stored or "") != wanted


def emulator() -> QBOEmulator:
    return current_app.extensions["example_emulator"]


def connected_realm() -> str | None:
    """The realm of the current firm's connected QuickBooks company, if it has one."""
    now = status()
    return now.realm_id if now.connected else None


@quickbooks_page.get("/")
def index() -> ResponseReturnValue:
    realm_id = connected_realm()
    q = request.args.get("q", "").strip()
    customers: list[dict] = []
    total = 0
    company = ""
    if realm_id:
        company = emulator().company(realm_id).name
        everyone = sorted(emulator().customers(realm_id=realm_id), key=lambda c: c["DisplayName"].casefold())
        found = [c for c in everyone if q.casefold() in c["DisplayName"].casefold()] if q else everyone
        total, customers = len(found), found[:LISTED]
    return render_template(
        "demo_quickbooks/index.html", customers=customers, total=total, q=q, company=company, realm_id=realm_id
    )


@quickbooks_page.route("/customers/<customer_id>", methods=["GET", "POST"])
def edit(customer_id: str) -> ResponseReturnValue:
    from flask_wsqb.testing import ApiFault

    realm_id = connected_realm()
    if not realm_id:
        return redirect(url_for(".index"))
    try:
        customer = emulator().customer(customer_id, realm_id=realm_id)
    except ApiFault:
        raise NotFound() from None
    form = CustomerForm.of(customer) if request.method == "GET" else CustomerForm()
    if form.validate_on_submit():
        changes = form.changes(customer)
        if not changes:
            flash("Nothing changed.", "info")
            return redirect(url_for(".index", q=customer["DisplayName"]))
        try:
            saved = emulator().edit_customer(customer_id, changes, realm_id=realm_id)
        except ApiFault as fault:
            flash(f"QuickBooks refused the change: {fault.message} {fault.detail}".strip(), "error")
        else:
            flash(
                f"Saved “{saved['DisplayName']}” in QuickBooks. Pull or Sync on its contact's page "
                "brings the change into the app.",
                "success",
            )
            return redirect(url_for(".index", q=saved["DisplayName"]))
    return render_template("demo_quickbooks/edit.html", form=form, customer=customer)
