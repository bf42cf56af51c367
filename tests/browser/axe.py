"""axe-core, the accessibility engine, run inside the test browser on a page as it stands.

The script comes from npm, pinned by version and checked against the registry's sha512, and is
kept in a cache folder (``WSQB_AXE_CACHE``, else ``$XDG_CACHE_HOME/flask-wsqb`` or
``~/.cache/flask-wsqb``), so the suite asks npm once per machine and never commits it.
``python -m tests.browser.axe`` fetches it ahead (CI does), and prints where it is.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

AXE_VERSION = "4.14.1"
#: ``npm view axe-core@4.14.1 dist.integrity``: the tarball npm gives must be exactly this one.
AXE_INTEGRITY = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
#: WCAG 2.0, 2.1 and 2.2, levels A and AA.
RULE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
#: What fails a test: axe's two highest impacts.
FAILING = ("serious", "critical")


def cache_dir() -> Path:
    configured = os.environ.get("WSQB_AXE_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "flask-wsqb"


def axe_script() -> Path:
    """The path of ``axe.min.js`` of the pinned version, fetched with ``npm pack`` when missing."""
    target = cache_dir() / f"axe-core-{AXE_VERSION}" / "axe.min.js"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        try:
            subprocess.run(
                ["npm", "pack", f"axe-core@{AXE_VERSION}", "--silent", "--pack-destination", work],
                check=True,
                capture_output=True,
                text=True,
                timeout=300,
            )
        except FileNotFoundError:
            raise RuntimeError(
                f"npm is needed once to fetch axe-core {AXE_VERSION} (apt-get install npm), "
                f"or put its axe.min.js at {target}"
            ) from None
        except subprocess.CalledProcessError as failed:
            raise RuntimeError(f"npm pack axe-core@{AXE_VERSION} failed: {failed.stderr.strip()}") from None
        tarball = Path(work) / f"axe-core-{AXE_VERSION}.tgz"
        digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
        if digest != AXE_INTEGRITY:
            raise RuntimeError(f"axe-core {AXE_VERSION} from npm is not the pinned one ({digest})")
        with tarfile.open(tarball) as archive:
            member = archive.extractfile("package/axe.min.js")
            assert member is not None
            script = member.read()
        # Written under another name, then renamed: a run beside this one never reads half a file.
        partial = Path(work) / "axe.min.js"
        partial.write_bytes(script)
        os.replace(partial, target)
    return target


_source: str | None = None


def _axe_source() -> str:
    global _source
    if _source is None:
        _source = axe_script().read_text(encoding="utf-8")
    return _source


def audit(driver) -> list[dict]:
    """axe's WCAG 2 A/AA violations on the page the browser shows now (every impact)."""
    if not driver.execute_script("return !!window.axe"):
        driver.execute_script(_axe_source())
    driver.set_script_timeout(60)
    result = driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})"
        ".then(function (r) { done(r.violations); }, function (e) { done({error: String(e)}); });",
        RULE_TAGS,
    )
    if isinstance(result, dict):
        raise RuntimeError(f"axe failed: {result['error']}")
    return result


def serious(violations: list[dict]) -> list[str]:
    """The serious and critical violations, one line per element: rule, impact, selector, why."""
    lines = []
    for violation in violations:
        if violation["impact"] not in FAILING:
            continue
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            summary = node.get("failureSummary", "").replace("\n", " ")
            lines.append(f"{violation['id']} ({violation['impact']}) {target}: {summary}")
    return lines


if __name__ == "__main__":
    print(axe_script())
    sys.exit(0)
