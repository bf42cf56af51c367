"""The host's pages: home, and the contact list, contact page and contact form, each showing only
the current firm's contacts."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import Select, func, or_, select
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from example_app.firms import current_firm
from example_app.models import Contact, db

contacts = Blueprint("contacts", __name__, url_prefix="/contacts")

PER_PAGE = 50
SEARCHED_COLUMNS = (Contact.display_name, Contact.first_name, Contact.last_name, Contact.company, Contact.email)
CONTACT_FIELDS = (
    "display_name",
    "first_name",
    "last_name",
    "company",
    "email",
    "phone",
    "street",
    "city",
    "state",
    "postal_code",
    "country",
    "notes",
    "hidden",
)


def _blank_to_none(value: str | None) -> str | None:
    """Store an empty input as NULL, so "no phone" is one thing and not two."""
    if value is None:
        return None
    return value.strip() or None


def _text(label: str, length: int, *validators: object) -> StringField:
    return StringField(label, validators=[Optional(), Length(max=length), *validators], filters=[_blank_to_none])


class ContactForm(FlaskForm):
    display_name = StringField("Display name", filters=[_blank_to_none], validators=[DataRequired(), Length(max=200)])
    first_name = _text("First name", 100)
    last_name = _text("Last name", 100)
    company = _text("Company", 200)
    email = _text(
        "Email", 200, Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Enter an address like name@example.com.")
    )
    phone = _text("Phone", 40)
    street = _text("Street", 200)
    city = _text("City", 100)
    state = _text("State", 50)
    postal_code = _text("ZIP / postal code", 20)
    country = _text("Country", 100)
    notes = TextAreaField("Notes", filters=[_blank_to_none])
    hidden = BooleanField("Hidden (kept for the records, left out of everyday lists)")

    def copy_to(self, contact: Contact) -> None:
        for name in CONTACT_FIELDS:
            setattr(contact, name, self[name].data)


def firm_contacts(*columns: Any) -> Select:
    """``SELECT`` the current firm's contacts (or ``columns`` of them): every page starts here."""
    return select(*(columns or (Contact,))).where(Contact.firm == current_firm())


def home() -> ResponseReturnValue:
    total = db.session.scalar(firm_contacts(func.count())) or 0
    hidden = db.session.scalar(firm_contacts(func.count()).where(Contact.hidden.is_(True))) or 0
    recent = db.session.scalars(firm_contacts().order_by(Contact.updated_at.desc(), Contact.id.desc()).limit(8)).all()
    demo = "demo_quickbooks" in current_app.blueprints  # the built-in emulator's QuickBooks page
    return render_template("home.html", total=total, hidden=hidden, recent=recent, quickbooks_demo=demo)


@contacts.get("/")
def index() -> ResponseReturnValue:
    q = request.args.get("q", "").strip()
    show_hidden = request.args.get("show_hidden") == "1"
    query = firm_contacts()
    if q:
        query = query.where(or_(*(column.icontains(q, autoescape=True) for column in SEARCHED_COLUMNS)))
    if not show_hidden:
        query = query.where(Contact.hidden.is_(False))
    query = query.order_by(func.lower(Contact.display_name), Contact.id)
    page = db.paginate(query, per_page=PER_PAGE, error_out=False)
    return render_template("contacts/list.html", page=page, q=q, show_hidden=show_hidden)


def firm_contact_or_404(contact_id: int) -> Contact:
    """The current firm's contact; another firm's answers 404, as if it did not exist."""
    return db.one_or_404(firm_contacts().where(Contact.id == contact_id))


@contacts.get("/<int:contact_id>")
def show(contact_id: int) -> ResponseReturnValue:
    contact = firm_contact_or_404(contact_id)
    return render_template("contacts/show.html", contact=contact)


@contacts.route("/new", methods=["GET", "POST"])
def create() -> ResponseReturnValue:
    form = ContactForm()
    if form.validate_on_submit():
        contact = Contact(firm=current_firm())
        form.copy_to(contact)
        db.session.add(contact)
        db.session.commit()
        flash(f"Contact “{contact.display_name}” created.", "success")
        return redirect(url_for(".show", contact_id=contact.id))
    return render_template("contacts/form.html", form=form, contact=None)


@contacts.route("/<int:contact_id>/edit", methods=["GET", "POST"])
def edit(contact_id: int) -> ResponseReturnValue:
    contact = firm_contact_or_404(contact_id)
    form = ContactForm(obj=contact)
    if form.validate_on_submit():
        form.copy_to(contact)
        db.session.commit()
        flash(f"Contact “{contact.display_name}” saved.", "success")
        return redirect(url_for(".show", contact_id=contact.id))
    return render_template("contacts/form.html", form=form, contact=contact)
