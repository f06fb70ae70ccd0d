"""The page's script is one committed bundle (CodeMirror 6 and editors/web/src), so the
package serves it with no network and CI needs no node. Its first line records a hash
of the sources it was built from; this test recomputes it, so an edit of
editors/web/src, build.mjs or package-lock.json without a rebuild
(`cd editors/web && npm ci && npm run build`) fails here."""

from __future__ import annotations

import hashlib
import re
import subprocess

from paths import ROOT

WEB = ROOT / "editors" / "web"
STATIC = ROOT / "mgdsl" / "serve" / "static"


def _source_hash() -> str:
    """The same hash as build.mjs's `sourceHash()`."""
    h = hashlib.sha256()
    files = ["package-lock.json", "build.mjs", *(f"src/{p.name}" for p in sorted((WEB / "src").iterdir()))]
    for name in files:
        h.update(name.encode() + b"\0")
        h.update((WEB / name).read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def test_the_bundle_matches_its_sources() -> None:
    first = (STATIC / "editor.js").read_text(encoding="utf-8").split("\n", 1)[0]
    m = re.search(r"source-sha256: ([0-9a-f]{64})", first)
    assert m, first[:200]
    assert m.group(1) == _source_hash(), \
        "mgdsl/serve/static/editor.js is stale: cd editors/web && npm ci && npm run build"


def test_the_bundle_is_self_contained() -> None:
    bundle = (STATIC / "editor.js").read_text(encoding="utf-8")
    assert len(bundle) > 100_000  # CodeMirror itself is in it
    assert "cm-lintRange-error" in bundle and "cm-tooltip-hover" in bundle
    assert not re.search(r"^\s*(import|export)\s", bundle, re.M)  # no modules to fetch
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    assert '<script src="/static/editor.js"></script>' in page
    assert not re.search(r"""(src|href)=["']https?:""", page)  # nothing from the network


def test_node_modules_stay_out_of_git() -> None:
    assert "node_modules/" in (ROOT / ".gitignore").read_text().split()
    try:
        tracked = subprocess.run(["git", "ls-files", "editors/web"], cwd=ROOT, text=True,
                                 capture_output=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return  # not a git checkout (an installed copy): nothing to check
    assert tracked and not [p for p in tracked if "node_modules" in p]
