"""The emulator's state file: JSON, replaced whole on every write (a temporary file in the same
folder, then ``os.replace``), so a crash mid-write leaves the previous state intact."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path


def read(path: Path) -> dict | None:
    """The saved state, or None when there is no file yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return json.loads(text)


def write(path: Path, state: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp makes the file readable by its owner only: it holds client secrets and tokens.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(state, out)
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
