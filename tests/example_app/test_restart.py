"""The demo survives a restart: its secret key and its emulated QuickBooks company are kept in the
instance folder, so the connection and the links made before still work afterwards."""

from __future__ import annotations

import os
import re
import stat

import pytest

from example_app import create_app, demo
from example_app.__main__ import main
from example_app.models import Contact, db
from tests.helpers import CONNECTION, EXPORT, add_contact, connect_quickbooks, items_by_key, post_form, submit


def demo_config(instance, **overrides) -> dict:
    """The demo's settings, with its files in ``instance`` instead of the repository's."""
    return {
        "TESTING": True,
        "EXAMPLE_SEED": False,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'example.db'}",
        **overrides,
    }


@pytest.fixture
def no_environment_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)


@pytest.fixture
def fresh_emulator():
    """No shared demo emulator before or after the test."""
    demo.forget_emulator()
    yield
    demo.forget_emulator()


def build(instance, **overrides):
    """The app without QuickBooks: all that is looked at is its configuration."""
    config = demo_config(
        instance,
        EXAMPLE_EMULATOR=False,
        WSQB_CLIENT_ID="x",
        WSQB_CLIENT_SECRET="y",
        WSQB_ENVIRONMENT="http://127.0.0.1:9/discovery",
        **overrides,
    )
    return create_app(config, instance_path=str(instance))


def test_secret_key_is_random_and_kept_in_the_instance_folder(tmp_path, no_environment_key):
    first = build(tmp_path / "one").config["SECRET_KEY"]
    again = build(tmp_path / "one").config["SECRET_KEY"]
    elsewhere = build(tmp_path / "two").config["SECRET_KEY"]

    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert again == first and elsewhere != first
    kept = tmp_path / "one" / "secret_key"
    assert kept.read_text().strip() == first
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600
    assert sorted(os.listdir(tmp_path / "one")) == ["example.db", "secret_key"]  # no leftovers


def test_a_configured_secret_key_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert build(tmp_path).config["SECRET_KEY"] == "from-the-environment"
    assert build(tmp_path, SECRET_KEY="from-the-config").config["SECRET_KEY"] == "from-the-config"
    assert not (tmp_path / "secret_key").exists()


def test_the_connection_and_links_survive_a_restart(tmp_path, no_environment_key, fresh_emulator):
    instance = tmp_path / "instance"
    state = tmp_path / "state" / "qbo-emulator.json"  # EXAMPLE_EMULATOR_STATE may point anywhere
    config = demo_config(instance, EXAMPLE_EMULATOR_STATE=str(state))

    first = create_app(config, instance_path=str(instance))
    first_client = first.test_client()
    qbo = demo.shared_emulator(str(state))
    connect_quickbooks(first_client, qbo)
    contact_id = add_contact(first, display_name="Harbor Light Bakery LLC", email="ada@harborlight.example")
    assert items_by_key(submit(first_client, EXPORT, [contact_id]))[contact_id]["status"] == "ok"
    customer = next(c for c in qbo.customers() if c["DisplayName"] == "Harbor Light Bakery LLC")
    seeded = len(qbo.customers())
    dispose(first)
    demo.forget_emulator()  # the end of the first process

    second = create_app(config, instance_path=str(instance))
    client = second.test_client()
    restarted = demo.shared_emulator(str(state))
    assert restarted is not qbo and restarted.realm_id == qbo.realm_id
    assert len(restarted.customers()) == seeded  # not seeded a second time
    assert_connected(client, qbo.realm_id)
    assert ">Linked<" in client.get(EXPORT + "?q=Harbor+Light").get_data(as_text=True)

    restarted.edit_customer(customer["Id"], PrimaryEmailAddr={"Address": "books@harborlight.example"})
    restarted.expire_access_tokens()  # so Pull must renew them with the refresh token kept in the app
    page = f"/contacts/{contact_id}"
    pulled = post_form(client, page, f"/setup/quickbooks/contacts/{contact_id}/pull", follow_redirects=True)

    assert "Pulled from QuickBooks" in pulled.get_data(as_text=True)
    with second.app_context():
        assert db.session.get(Contact, int(contact_id)).email == "books@harborlight.example"
    assert_connected(client, qbo.realm_id)
    assert ("POST", "/oauth2/v1/tokens/bearer", 200) in restarted.request_log
    dispose(second)


def assert_connected(client, realm_id: str) -> None:
    html = client.get(CONNECTION).get_data(as_text=True)
    assert 'data-connected="yes"' in html and 'data-needs-reconnect="no"' in html
    assert 'id="wsqb-reconnect"' not in html and realm_id in html


def dispose(app) -> None:
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


def test_main_says_where_to_open_the_demo(monkeypatch, capsys):
    started = {}

    class App:
        config: dict = {"EXAMPLE_EMULATOR": False}

        def run(self, **options):
            started.update(options)

    monkeypatch.setattr("example_app.__main__.create_app", App)
    main(["--port", "5123"])

    assert capsys.readouterr().out.strip() == (
        "Open http://127.0.0.1:5123/ — then Setup → QuickBooks → Connection → Connect to QuickBooks"
    )
    assert started["port"] == 5123 and started["use_reloader"] is False
