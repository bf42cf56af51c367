"""The example host app as a worker process builds it (``flask --app tests.rq.host:create_app``).

The example app reads its QuickBooks and database settings from the environment but not
``WSQB_REDIS_URL``, and it seeds demo contacts into an empty table; a worker of a real
host is configured like its web process, which in these tests is a mapping.
"""

from __future__ import annotations

import os

from example_app import create_app as create_example_app


def create_app():
    settings = {key: value for key, value in os.environ.items() if key.startswith("WSQB_")}  # a test's own
    return create_example_app({**settings, "EXAMPLE_SEED": False, "EXAMPLE_EMULATOR": False})
