"""Operating-system failures on a user's files as coded errors (E610–E619), never tracebacks.

Every command that writes or reads the user's files (a run's folder, checkpoints, metrics,
plots, rendered and compiled output) turns an `OSError` into an `MgFileError` that names the
path and the reason in words, through `file_error` or the `os_errors` context manager::

    error[E612]: cannot write the checkpoint `runs/a/checkpoint.pt`: no space left on the device
    hint: free some space (or pass another --out), then run the same command with --resume

Codes: E610 something of the wrong kind in the way (a file where a folder is needed, a
folder where a file is needed), E611 a read-only file system, E612 no space left (or the
quota or the file-size limit is reached), E613 permission denied, E614 any other refusal
of the operating system (the reason it gives is quoted). E615–E619 are reserved for more.
A missing file that is read is E601, as for sources.

The error's `subject` is ``("path", GIVEN)``, where GIVEN is the path as the user typed it,
so the command line can point at the argument (`mgdsl.cli.cmdline.CommandLine.repoint`).

>>> e = file_error(OSError(28, "No space left on device"), "out/m.csv", action="write",
...                what="the metrics")
>>> e.code, e.message
('E612', 'cannot write the metrics `out/m.csv`: no space left on the device')
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from mgdsl.errors import MgFileError

__all__ = ["file_error", "os_errors", "OS_ERROR_CODES"]

#: the code of each kind of failure (see the module docstring)
OS_ERROR_CODES = {
    "in the way": "E610",
    "read-only": "E611",
    "no space": "E612",
    "permission": "E613",
    "other": "E614",
    "missing": "E601",
}

_KIND = {
    errno.EEXIST: "in the way",
    errno.ENOTDIR: "in the way",
    errno.EISDIR: "in the way",
    errno.EROFS: "read-only",
    errno.ENOSPC: "no space",
    errno.EDQUOT: "no space",
    errno.EFBIG: "no space",
    errno.EACCES: "permission",
    errno.EPERM: "permission",
}

_HINTS = {
    "in the way": "move the file aside or choose another path",
    "read-only": "write somewhere else: the file system is mounted read-only",
    "no space": "free some space or write somewhere else",
    "permission": "choose a folder you may write to, or change its permissions (chmod)",
    "other": "choose another path",
    "missing": "check the path",
}


def _blocking_file(path: Path) -> Path | None:
    """The nearest existing ancestor of `path` (itself included) that is not a folder."""
    for candidate in (path, *path.parents):
        if os.path.lexists(candidate):
            return None if candidate.is_dir() else candidate
    return None


def _reason(kind: str, exc: OSError, path: Path, action: str) -> str:
    """The reason of the failure in words, as the end of the message."""
    if kind == "in the way":
        if exc.errno == errno.EISDIR or (action == "read" and path.is_dir()):
            return f"`{path}` is a folder, not a file"
        blocker = _blocking_file(path)
        if blocker is not None:
            return f"`{blocker}` exists and is a file, not a folder"
        return exc.strerror or "something else is in the way"
    if kind == "read-only":
        return "the file system is read-only"
    if kind == "no space":
        return ("no space left on the device" if exc.errno == errno.ENOSPC
                else "the disk quota or the file-size limit is reached")
    if kind == "permission":
        return "permission denied"
    if kind == "missing":
        return "no such file"
    return f"the operating system refused it ({exc.strerror or exc})"


def file_error(exc: OSError, path: str | os.PathLike[str], *, action: str, what: str = "the file",
               given: str | None = None, hint: str | None = None,
               notes: Iterable[str] = ()) -> MgFileError:
    """The coded `MgFileError` for `exc`, raised while `action` (``write``, ``read``,
    ``create``) `what` (e.g. ``the checkpoint``) at `path`. When `path` is a folder that
    holds the file the error names (``exc.filename``), the message names that file.

    `given` is the path as the user typed it (an option's value), for the command line to
    point at; `hint` replaces the default hint of the kind of failure; `notes` are added.
    """
    path = Path(path)
    if exc.filename and path in Path(exc.filename).parents:
        path = Path(exc.filename)  # the caller named the folder: name the file in it
    if exc.errno == errno.ENOENT and action == "read":
        kind = "missing"
    elif exc.errno == errno.EISDIR or (action == "read" and path.is_dir()):
        kind = "in the way"
    else:
        kind = _KIND.get(exc.errno or -1, "other")
    message = f"cannot {action} {what} `{path}`: {_reason(kind, exc, path, action)}"
    return MgFileError(message, code=OS_ERROR_CODES[kind], hint=hint or _HINTS[kind],
                       notes=notes, subject=("path", given) if given else None)


@contextlib.contextmanager
def os_errors(path: str | os.PathLike[str], *, action: str, what: str = "the file",
              given: str | None = None, hint: str | None = None,
              notes: Iterable[str] = ()) -> Iterator[None]:
    """Turn an `OSError` raised in the block into `file_error(...)` (see there)."""
    try:
        yield
    except OSError as exc:
        raise file_error(exc, path, action=action, what=what, given=given, hint=hint,
                         notes=notes) from exc
