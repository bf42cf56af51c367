"""The example app as a benchmark's worker process builds it
(``flask --app benchmarks.worker_host:create_app wsqb worker``).

Like ``tests.rq.host``, but every ``WSQB_*`` variable of the environment is read (numbers as
numbers), so a benchmark can give its workers a sped-up ``WSQB_RATE_WINDOW`` and retry waits.
"""

from __future__ import annotations

import os

from example_app import create_app as create_example_app


def _value(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def create_app():
    config = {key: _value(value) for key, value in os.environ.items() if key.startswith("WSQB_")}
    for key in ("WSQB_CLIENT_ID", "WSQB_CLIENT_SECRET"):  # never numbers
        if key in os.environ:
            config[key] = os.environ[key]
    return create_example_app({"EXAMPLE_SEED": False, "EXAMPLE_EMULATOR": False, **config})
