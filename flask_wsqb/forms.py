"""The extension's forms: FlaskForm for the host's CSRF token on every POST."""

from __future__ import annotations

from flask_wtf import FlaskForm


class ActionForm(FlaskForm):
    """A POST button with nothing but the CSRF token (connect, disconnect, pull...)."""
