"""The `torch` marker splits the suite: the torch-free tier collects no module that needs
torch (the root conftest makes `import torch` fail there), and the test command's exit
codes (`.ci/run` -> `scripts/test.sh`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from paths import ROOT


def test_torch_free_tier_collects_without_torch():
    """Collecting `-m 'not torch'` with torch blocked: an unmarked module that imports torch
    would be a collection error here. In the torch-free tier itself that collection has
    just happened in this very run, so the subprocess would only repeat it."""
    if any(type(finder).__name__ == "TorchBlocker" for finder in sys.meta_path):
        pytest.skip("this run is the torch-free tier: its own collection is the check")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "-m", "(not torch) and not slow"],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    collected = [line for line in proc.stdout.splitlines() if "::" in line]
    assert len(collected) > 300
    assert not any("test_codegen_fx.py" in line or "codegen/fx.py" in line for line in collected)
    assert any("mgdsl/data/registry.py" in line for line in collected)  # a torch-free doctest


def test_blocked_torch_fails_loudly(tmp_path):
    """An unmarked test that imports torch fails in the torch-free tier."""
    (tmp_path / "test_sneaky.py").write_text(
        "def test_sneaky():\n    import torch  # noqa: F401\n", encoding="utf-8")
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not torch",
         "test_sneaky.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout
    assert "mark the test that needs it with @pytest.mark.torch" in proc.stdout


@pytest.fixture
def fake_repo(tmp_path):
    """`.ci/run` and `scripts/test.sh` over a set-up that does nothing and a python that
    prints its arguments and exits with $FAKE_RC."""
    for name in (".ci/run", "scripts/test.sh"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "scripts" / "setup.sh").write_text("exit 0\n")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text('#!/usr/bin/env bash\nprintf "%s|" "$@"\nexit "$FAKE_RC"\n')
    python.chmod(0o755)
    return tmp_path


@pytest.mark.parametrize("pytest_rc, expected", [(0, 0), (1, 1), (2, 2), (5, 1)])
def test_ci_exit_codes(fake_repo, pytest_rc, expected):
    proc = subprocess.run(["bash", str(fake_repo / ".ci" / "run")], capture_output=True,
                          text=True, env={**os.environ, "FAKE_RC": str(pytest_rc)}, timeout=60)
    assert proc.returncode == expected
    assert ("collected no tests" in proc.stderr) == (pytest_rc == 5)


@pytest.mark.parametrize("marker, passed", [
    ("not torch", "-m|(not torch) and not slow|"),
    ("slow", "-m|slow|"),
    ("torch and not slow", "-m|torch and not slow|"),
])
def test_marker_expressions_keep_slow_tests_out(fake_repo, marker, passed):
    proc = subprocess.run(["bash", str(fake_repo / "scripts" / "test.sh"), "-m", marker, "-x"],
                          capture_output=True, text=True, env={**os.environ, "FAKE_RC": "0"},
                          timeout=60)
    assert proc.returncode == 0
    assert proc.stdout == f"-m|pytest|-n|2|-q|{passed}-x|"


@pytest.mark.parametrize("fail_when, expected", [("", 0), ("slow", 1), ("not-slow", 1)])
def test_ci_runs_the_default_and_the_slow_tier(fake_repo, fail_when, expected):
    """`.ci/run` runs the default suite and then the slow tier; either failing fails CI."""
    python = fake_repo / ".venv" / "bin" / "python"
    python.write_text('#!/usr/bin/env bash\nprintf "%s|" "$@"; echo\n'
                      'case "$*" in *slow*) tier=slow;; *) tier=not-slow;; esac\n'
                      '[ "$tier" = "$FAIL_WHEN" ] && exit 1\nexit 0\n')
    proc = subprocess.run(["bash", str(fake_repo / ".ci" / "run")], capture_output=True,
                          text=True, env={**os.environ, "FAIL_WHEN": fail_when}, timeout=60)
    assert proc.returncode == expected
    assert proc.stdout.splitlines() == ["-m|pytest|-n|2|-q|", "-m|pytest|-n|2|-q|-m|slow|"]
