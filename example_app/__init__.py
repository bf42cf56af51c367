"""A small practice-management app that hosts flask-wsqb: the extension's demo and test bed."""

from example_app.app import create_app

__all__ = ["create_app"]
