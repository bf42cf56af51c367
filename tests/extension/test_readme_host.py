"""The README's "Adding it to your app" works when pasted into a fresh Flask app: the host is built
from the README's own code blocks (its module and its two templates), configured through the
environment as the README says, and driven through HTTP against the emulator. The README's recipe
for a computed name and a related address is the suite's second host, word for word."""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import pytest
from flask_login import UserMixin

from tests.helpers import CONNECTION, EXPORT, connect_quickbooks, post_form, run_id_of, wait_for_run

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"```(python|jinja)\n(.*?)```", re.S)


def section(title: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index(f"## {title}\n")
    return readme[start : readme.index("\n## ", start + 1)]


def blocks(text: str, language: str) -> list[str]:
    return [code for lang, code in BLOCK.findall(text) if lang == language]


class Admin(UserMixin):
    id = "admin"
    is_admin = True


@pytest.fixture
def host(tmp_path, monkeypatch, db_url, qbo):
    """The README's host, pasted into a fresh folder: ``practice.py`` and ``templates/``."""
    adding = section("Adding it to your app").split("### Your contact model")[0]
    (tmp_path / "practice.py").write_text(blocks(adding, "python")[0], encoding="utf-8")
    (tmp_path / "templates").mkdir()
    for template in blocks(adding, "jinja"):
        name = re.match(r"\{# templates/(\S+) #\}", template).group(1)
        (tmp_path / "templates" / name).write_text(template, encoding="utf-8")
    environment = {
        "FLASK_SECRET_KEY": "readme-secret",
        "FLASK_SQLALCHEMY_DATABASE_URI": db_url,
        "WSQB_CLIENT_ID": qbo.client_id,
        "WSQB_CLIENT_SECRET": qbo.client_secret,
        "WSQB_ENVIRONMENT": qbo.discovery_url,
        "WSQB_API_URL": qbo.api_url,
    }
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    monkeypatch.syspath_prepend(str(tmp_path))
    practice = importlib.import_module("practice")
    yield practice
    sys.modules.pop("practice", None)
    for app in getattr(practice, "apps", []):
        with app.app_context():
            practice.db.engine.dispose()


def test_the_readme_host_runs_as_pasted(host, qbo):
    login = host.login

    @login.user_loader  # the host's own users: one admin here
    def load_user(user_id):
        return Admin() if user_id == "admin" else None

    app = host.create_app()
    host.apps = [app]  # closed with the test (the README's host keeps no list of its own)
    app.config["TESTING"] = True
    assert app.test_cli_runner().invoke(args=["wsqb", "init-db"]).exit_code == 0
    with app.app_context():
        host.db.create_all()
        host.db.session.add(host.Client(name="Readme Dental", email="desk@readme.example", phone="555-0100"))
        host.db.session.commit()
    web = app.test_client()
    assert web.get(CONNECTION).status_code == 401  # anonymous: Flask-Login's answer, not the page
    with web.session_transaction() as session:
        session["_user_id"] = "admin"  # what the host's login view does
    connect_quickbooks(web, qbo)

    report = wait_for_run(web, run_id_of(post_form(web, EXPORT, EXPORT, {"selected": ["1"]})))
    assert report["ok"] == 1
    [customer] = qbo.customers()
    assert (customer["DisplayName"], customer["PrimaryPhone"]["FreeFormNumber"]) == ("Readme Dental", "555-0100")
    assert 'href="/clients/1"' in web.get(EXPORT).get_data(as_text=True)  # names open the host's page

    qbo.edit_customer(customer["Id"], {"PrimaryPhone": {"FreeFormNumber": "555-0199"}})
    page = web.get("/clients/1").get_data(as_text=True)
    assert "Pull Current Contact Info from QuickBooks" in page and "QuickBooks history" in page
    assert page.count("wsqb.css") == 1  # the layout's assets, once
    pulled = post_form(web, "/clients/1", "/setup/quickbooks/contacts/1/pull", follow_redirects=True)
    assert "Pulled from QuickBooks" in pulled.get_data(as_text=True)  # shown by the layout's flashes


def test_the_recipe_is_the_second_hosts_code():
    recipe = blocks(section("Adding it to your app").split("**Recipe:")[1], "python")[0]
    host = (ROOT / "tests" / "hosts" / "clients.py").read_text(encoding="utf-8")
    assert recipe.strip() in host
