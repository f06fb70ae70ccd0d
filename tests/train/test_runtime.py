"""mgdsl.train.runtime: the allocator re-exec works once, keeps argv/stdin, and can be turned off."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from paths import ROOT

from mgdsl.train import runtime

JEMALLOC = runtime.find_allocator_library("jemalloc")

PROBE = textwrap.dedent(
    """
    import os, sys
    print("START", os.getpid(), repr(sys.argv[1:]), flush=True)
    from mgdsl.train.runtime import describe_allocator, ensure_fast_allocator
    ensure_fast_allocator()
    maps = open("/proc/self/maps").read()
    print("PID", os.getpid())
    print("ARGV", repr(sys.argv[1:]))
    print("STDIN", repr(sys.stdin.read()))
    print("JEMALLOC_MAPPED", "libjemalloc" in maps)
    print("GUARD", os.environ.get("MGDSL_ALLOCATOR_APPLIED"))
    print("TUNABLES", os.environ.get("GLIBC_TUNABLES"))
    print("MALLOC_CONF", os.environ.get("MALLOC_CONF"))
    print("DESCRIBE", describe_allocator())
    """
)


def _run(tmp_path: Path, *, env_extra: dict[str, str] | None = None, as_module: bool = False,
         stdin: str = "") -> dict[str, list[str]]:
    """Run the probe in a clean subprocess; return its output lines keyed by first word."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MGDSL_ALLOCATOR")
           and k not in ("LD_PRELOAD", "GLIBC_TUNABLES", "MALLOC_CONF")}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(ROOT), env.get("PYTHONPATH", "")])
    env.update(env_extra or {})
    (tmp_path / "alloc_probe_mod.py").write_text(PROBE)
    target = ["-m", "alloc_probe_mod"] if as_module else [str(tmp_path / "alloc_probe_mod.py")]
    proc = subprocess.run([sys.executable, "-u", *target, "a b", "--flag"], input=stdin,
                          env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out: dict[str, list[str]] = {}
    for line in proc.stdout.splitlines():
        key, _, rest = line.partition(" ")
        out.setdefault(key, []).append(rest)
    out["STDERR"] = [proc.stderr]
    return out


def _starts(out: dict[str, list[str]]) -> int:
    return len(out.get("START", []))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
@pytest.mark.parametrize("as_module", [False, True], ids=["script", "python-m"])
def test_reexec_once_with_fast_allocator(tmp_path, as_module):
    out = _run(tmp_path, as_module=as_module, stdin="piped input\n")
    assert _starts(out) == 2, out  # exactly one re-exec
    pids = {line.split()[0] for line in out["START"]} | set(out["PID"])
    assert len(pids) == 1  # execve keeps the process id
    assert out["START"][1].split(" ", 1)[1] == repr(["a b", "--flag"])
    assert out["ARGV"] == [repr(["a b", "--flag"])]
    assert out["STDIN"] == [repr("piped input\n")]  # non-TTY stdin survives the re-exec
    if JEMALLOC is None:
        assert out["GUARD"] in (["tcmalloc"], ["glibc-tunables"])
        return
    assert out["GUARD"] == ["jemalloc"]
    assert out["JEMALLOC_MAPPED"] == ["True"]
    assert out["DESCRIBE"][0].startswith("jemalloc")
    assert out["MALLOC_CONF"] == [runtime.JEMALLOC_CONF]


@pytest.mark.skipif(JEMALLOC is None, reason="libjemalloc not installed")
def test_user_malloc_conf_is_kept(tmp_path):
    out = _run(tmp_path, env_extra={"MALLOC_CONF": "narenas:2"})
    assert _starts(out) == 2
    assert out["JEMALLOC_MAPPED"] == ["True"]
    assert out["MALLOC_CONF"] == ["narenas:2"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_opt_out_system(tmp_path):
    out = _run(tmp_path, env_extra={"MGDSL_ALLOCATOR": "system"})
    assert _starts(out) == 1
    assert out["JEMALLOC_MAPPED"] == ["False"]
    assert out["GUARD"] == ["None"]
    assert "jemalloc" not in out["DESCRIBE"][0]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_guard_prevents_reexec(tmp_path):
    out = _run(tmp_path, env_extra={"MGDSL_ALLOCATOR_APPLIED": "jemalloc"})
    assert _starts(out) == 1
    assert out["JEMALLOC_MAPPED"] == ["False"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_no_loop_when_preload_is_not_recognised(tmp_path):
    """A preloaded library that is not jemalloc/tcmalloc must still not cause a second exec."""
    libm = next((str(d / "libm.so.6") for d in runtime._lib_dirs() if (d / "libm.so.6").is_file()),
                None)
    if libm is None:
        pytest.skip("libm.so.6 not found")
    out = _run(tmp_path, env_extra={"MGDSL_ALLOCATOR": libm})
    assert _starts(out) == 2
    assert out["GUARD"] == [libm]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_tunables_choice(tmp_path):
    out = _run(tmp_path, env_extra={"MGDSL_ALLOCATOR": "tunables"})
    if out["GUARD"] == ["None"]:
        pytest.skip("not glibc")
    assert _starts(out) == 2
    assert out["GUARD"] == ["glibc-tunables"]
    assert out["TUNABLES"] == [runtime.GLIBC_TUNABLES]
    assert out["JEMALLOC_MAPPED"] == ["False"]
    assert "GLIBC_TUNABLES=glibc.malloc." in out["DESCRIBE"][0]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_unknown_choice_keeps_system_allocator(tmp_path):
    out = _run(tmp_path, env_extra={"MGDSL_ALLOCATOR": "no-such-allocator"})
    assert _starts(out) == 1
    assert "not a known allocator" in out["STDERR"][0]


@pytest.mark.skipif(JEMALLOC is None, reason="libjemalloc not installed")
def test_already_preloaded_is_left_alone(tmp_path):
    out = _run(tmp_path, env_extra={"LD_PRELOAD": JEMALLOC})
    assert _starts(out) == 1
    assert out["JEMALLOC_MAPPED"] == ["True"]
    assert out["GUARD"] == ["None"]
    assert out["DESCRIBE"][0] == f"jemalloc (LD_PRELOAD: {JEMALLOC})"


def test_in_process_call_under_pytest_returns(monkeypatch):
    """Inside pytest the function must never replace the test process."""
    for var in ("MGDSL_ALLOCATOR", "MGDSL_ALLOCATOR_APPLIED", "LD_PRELOAD"):
        monkeypatch.delenv(var, raising=False)
    runtime.ensure_fast_allocator(["-c", "raise SystemExit(9)"])  # would exit 9 if it exec'd


def test_describe_allocator_is_one_line():
    text = runtime.describe_allocator()
    assert text and "\n" not in text


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_user_glibc_tunables_take_precedence(tmp_path):
    out = _run(tmp_path, env_extra={"MGDSL_ALLOCATOR": "tunables",
                                    "GLIBC_TUNABLES": "glibc.malloc.arena_max=2"})
    if out["GUARD"] == ["None"]:
        pytest.skip("not glibc")
    assert out["TUNABLES"] == [runtime.GLIBC_TUNABLES + ":glibc.malloc.arena_max=2"]
