"""Process-level runtime set-up: a faster C allocator for eager CPU training.

With glibc's malloc, every large tensor (above the dynamic mmap threshold, at most 32 MiB) is
obtained with `mmap` and handed back with `munmap` when freed, and the heap top is trimmed, so
an eager training step of the zoo's nets page-faults its activations in afresh every step
(~1.9 M minor faults and ~4 s of kernel time per PMG-11-seg step at batch 64 on 2 cores).
jemalloc with its default 10 s decay is no cure (it purges and re-faults ~2.5 M pages per
multi-second step); jemalloc with decay disabled, or glibc with mmap disabled and trimming
off, fault ~0 pages per step and cut the step's CPU time by roughly a third
(benchmarks/alloc_probe.py has the measurement). The allocator can only be swapped before the
process starts, so `ensure_fast_allocator()` re-executes the current command once with
`LD_PRELOAD` pointing at jemalloc (preferred) or tcmalloc; without either it re-executes with
the glibc tunables in `GLIBC_TUNABLES`. The price in both cases is that the process keeps its
peak memory (RSS does not shrink after a step), as a caching allocator does.

Environment:

* `MGDSL_ALLOCATOR` (user choice): `auto` (default: jemalloc, else tcmalloc, else glibc
  tunables), `jemalloc`, `tcmalloc`, `tunables`, `system` (opt out: change nothing), or the
  path of an allocator shared library to preload.
* `MGDSL_ALLOCATOR_APPLIED` (set by us on re-exec): the guard; when present, nothing is done,
  so a process never re-executes more than once and its children inherit the decision.
* `MALLOC_CONF` / `GLIBC_TUNABLES`: a user's own jemalloc config is kept as is; a user's glibc
  tunables are kept and take precedence over ours.
"""

from __future__ import annotations

import os
import platform
import sys
import sysconfig
from pathlib import Path

CHOICE_ENV = "MGDSL_ALLOCATOR"
GUARD_ENV = "MGDSL_ALLOCATOR_APPLIED"

#: glibc tunables used when no jemalloc/tcmalloc is installed: never serve allocations with
#: mmap (so frees never munmap) and never trim the heap top back to the OS (64 GiB threshold).
#: Raising only mmap_threshold does not help: it is capped at 32 MiB, below the activations'
#: size, so the big tensors are still mmapped (measured: 1.7 M faults per step, no gain).
GLIBC_TUNABLES = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736"

#: jemalloc options set with the preload unless MALLOC_CONF is already set: never purge freed
#: pages. With jemalloc's default 10 s decay a multi-second training step still purges and
#: re-faults ~2.5 M pages per step and is barely faster than glibc; without decay it faults
#: ~0 pages per step. The cost is that RSS stays at its peak, as with a caching allocator.
JEMALLOC_CONF = "dirty_decay_ms:-1,muzzy_decay_ms:-1"

_LIBS = {
    "jemalloc": ("libjemalloc.so.2", "libjemalloc.so"),
    "tcmalloc": (
        "libtcmalloc_minimal.so.4",
        "libtcmalloc.so.4",
        "libtcmalloc_minimal.so",
        "libtcmalloc.so",
    ),
}


def _lib_dirs() -> list[Path]:
    """Directories searched for allocator libraries, most specific first."""
    dirs: list[Path] = []
    for prefix in (os.environ.get("CONDA_PREFIX"), sys.prefix, sys.base_prefix):
        if prefix:
            dirs.append(Path(prefix) / "lib")
    arch = sysconfig.get_config_var("MULTIARCH") or f"{platform.machine()}-linux-gnu"
    for base in ("/usr/lib", "/lib", "/usr/local/lib"):
        dirs.append(Path(base) / arch)
    dirs += [Path("/usr/lib64"), Path("/lib64"), Path("/usr/local/lib"), Path("/usr/lib")]
    seen: set[Path] = set()
    return [d for d in dirs if not (d in seen or seen.add(d))]


def find_allocator_library(kind: str) -> str | None:
    """Path of an installed `kind` ("jemalloc" or "tcmalloc") shared library, or None."""
    for d in _lib_dirs():
        for name in _LIBS[kind]:
            p = d / name
            if p.is_file() and os.access(p, os.R_OK):
                return str(p)
    return None


def _mapped_allocator() -> str | None:
    """"jemalloc" or "tcmalloc" when such a library is mapped into this process."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    for kind in ("jemalloc", "tcmalloc"):
        if f"lib{kind}" in maps:
            return kind
    return None


def _preloaded_allocator() -> str | None:
    """"jemalloc"/"tcmalloc" when LD_PRELOAD names one of them (mapped or not yet)."""
    preload = os.environ.get("LD_PRELOAD", "")
    for kind in ("jemalloc", "tcmalloc"):
        if f"lib{kind}" in preload:
            return kind
    return None


def describe_allocator() -> str:
    """One line naming the C allocator this process runs with, for logs and benchmark records."""
    kind = _mapped_allocator()
    if kind:
        how = "LD_PRELOAD" if _preloaded_allocator() == kind else "linked"
        lib = next((p for p in os.environ.get("LD_PRELOAD", "").split(":") if kind in p), "")
        return f"{kind} ({how}{': ' + lib if lib else ''})"
    if not sys.platform.startswith("linux"):
        return f"system allocator ({sys.platform})"
    libc, version = platform.libc_ver()
    name = "glibc malloc" if libc == "glibc" else f"{libc or 'libc'} malloc"
    if version:
        name += f" {version}"
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    malloc_tunables = ":".join(t for t in tunables.split(":") if t.startswith("glibc.malloc."))
    return f"{name} ({'GLIBC_TUNABLES=' + malloc_tunables if malloc_tunables else 'default'})"


def _skip_reason(args: list[str], explicit: bool) -> str | None:
    """Why re-executing this process would be unsafe or pointless (None when it is fine)."""
    if not sys.platform.startswith("linux"):
        return "not Linux"
    if os.environ.get(GUARD_ENV):
        return "already applied"
    if os.environ.get(CHOICE_ENV, "auto").strip().lower() == "system":
        return "opted out"
    if _mapped_allocator() or _preloaded_allocator():
        return "fast allocator already loaded"
    if not sys.executable or not os.access(sys.executable, os.X_OK):
        return "no interpreter path"
    if sys.flags.interactive or hasattr(sys, "ps1"):
        return "interactive session"
    if not args or (not explicit and sys.argv[:1] in ([""], ["-"])):
        return "program read from stdin"  # already consumed: cannot be run again
    if "pytest" in sys.modules:
        return "inside pytest"  # never restart a test session behind its back
    return None


def _plan() -> dict[str, str] | None:
    """Environment changes that give a faster allocator, or None when nothing applies."""
    choice = os.environ.get(CHOICE_ENV, "auto").strip()
    low = choice.lower()
    if low not in ("", "auto", "jemalloc", "tcmalloc", "tunables"):
        if os.path.isfile(choice):
            return {"LD_PRELOAD": choice, GUARD_ENV: choice}
        print(f"mgdsl: {CHOICE_ENV}={choice!r} is not a known allocator or a library path; "
              "keeping the system allocator", file=sys.stderr)
        return None
    kinds = {"jemalloc": ["jemalloc"], "tcmalloc": ["tcmalloc"], "tunables": []}.get(
        low, ["jemalloc", "tcmalloc"]
    )
    for kind in kinds:
        lib = find_allocator_library(kind)
        if lib:
            plan = {"LD_PRELOAD": lib, GUARD_ENV: kind}
            if kind == "jemalloc" and not os.environ.get("MALLOC_CONF"):
                plan["MALLOC_CONF"] = JEMALLOC_CONF
            return plan
    if platform.libc_ver()[0] != "glibc":
        return None
    return {"GLIBC_TUNABLES": GLIBC_TUNABLES, GUARD_ENV: "glibc-tunables"}


def ensure_fast_allocator(argv: list[str] | None = None) -> None:
    """Re-execute this process once under jemalloc/tcmalloc (or tuned glibc malloc) if useful.

    Call it first thing at process entry (before heavy imports and before any `os.chdir`;
    never from library code or an in-process `main(argv)` call). `argv` is the interpreter
    command line to re-run after `sys.executable`; it defaults to `sys.orig_argv[1:]`, which
    reproduces `python -m mgdsl …`, the `mgdsl` console script (a script path), `python -c …`
    and interpreter flags such as `-u` exactly. The process id, open file descriptors (stdin included, TTY or not) and the
    rest of the environment survive `execve`, so this is also safe in torchrun workers: the
    elastic agent keeps supervising the same pid. Returns without doing anything when the guard
    `MGDSL_ALLOCATOR_APPLIED` is set, when `MGDSL_ALLOCATOR=system`, when jemalloc/tcmalloc is
    already loaded or preloaded, off Linux, in interactive sessions, for programs read from
    stdin, or inside pytest. A successful `execve` never returns: the new image starts over and
    this call is then a no-op because of the guard. If `execve` fails, the process carries on
    with the allocator it has.
    """
    args = list(argv) if argv is not None else sys.orig_argv[1:]
    if _skip_reason(args, explicit=argv is not None):
        return
    plan = _plan()
    if plan is None:
        return
    env = dict(os.environ)
    if "LD_PRELOAD" in plan and env.get("LD_PRELOAD"):
        plan["LD_PRELOAD"] = plan["LD_PRELOAD"] + ":" + env["LD_PRELOAD"]
    if "GLIBC_TUNABLES" in plan and env.get("GLIBC_TUNABLES"):
        # glibc applies tunables left to right: the user's settings come last and win
        plan["GLIBC_TUNABLES"] = plan["GLIBC_TUNABLES"] + ":" + env["GLIBC_TUNABLES"]
    env.update(plan)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    try:
        os.execve(sys.executable, [sys.executable, *args], env)
    except OSError as exc:
        print(f"mgdsl: could not re-execute with a faster allocator ({exc}); continuing",
              file=sys.stderr)
