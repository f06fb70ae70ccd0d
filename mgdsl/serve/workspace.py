"""The folder `mgdsl serve` was started on, and the only files it reads or writes.

A request names a file by a relative path such as ``nets/pmg.mg``. It is accepted only
when it is a `.mg` file under the root: no absolute paths, no `..`, no NUL or backslash,
and no symlink whose target lies outside the root. Saving never follows a symlink and
writes through a temporary file and a rename (`mgdsl.atomic.write_atomic`).
"""

from __future__ import annotations

import os
import stat
import threading
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from mgdsl.atomic import write_atomic
from mgdsl.limits import LIMITS

__all__ = ["Workspace", "WorkspaceError", "MAX_LISTED"]

MAX_LISTED = 2000  # files listed at most, so a huge folder cannot stall the page


class WorkspaceError(Exception):
    """A request for a file the workspace does not allow; `status` is the HTTP code."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Workspace:
    """`.mg` files under `root`, with one lock per file so that saves never interleave."""

    root: Path
    _locks: dict[Path, threading.Lock] = field(default_factory=dict, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()
        if not self.root.is_dir():
            raise NotADirectoryError(str(self.root))

    def resolve(self, rel: object) -> Path:
        """The absolute path of workspace file `rel`, or `WorkspaceError` (400/403)."""
        if not isinstance(rel, str) or not rel or len(rel) > 1024:
            raise WorkspaceError(400, "`path` must be a non-empty relative path")
        if "\x00" in rel or "\\" in rel:
            raise WorkspaceError(400, "`path` contains a NUL or a backslash")
        pure = PurePosixPath(rel)
        if pure.is_absolute() or rel.startswith("~"):
            raise WorkspaceError(403, "absolute paths are not served")
        if any(part in ("..", "") for part in rel.split("/")) or ".." in pure.parts:
            raise WorkspaceError(403, "`..` and empty path parts are not allowed")
        if pure.suffix != ".mg":
            raise WorkspaceError(403, "only `.mg` files are served")
        path = self.root.joinpath(*pure.parts)
        try:
            real = path.resolve()
        except (OSError, RuntimeError):
            raise WorkspaceError(403, "the path cannot be resolved") from None
        if not real.is_relative_to(self.root):
            raise WorkspaceError(403, "the path leads outside the served folder")
        return path

    def contains(self, path: Path) -> bool:
        """Whether `path`, with every symlink followed, lies under the root."""
        try:
            return Path(path).resolve().is_relative_to(self.root)
        except (OSError, RuntimeError):
            return False

    def files(self) -> list[str]:
        """The `.mg` files under the root (relative, sorted), skipping hidden folders and
        symlinks that lead outside."""
        found: list[str] = []
        for folder, dirs, names in os.walk(self.root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(names):
                path = Path(folder) / name
                if name.endswith(".mg") and self.contains(path) and path.is_file():
                    found.append(path.relative_to(self.root).as_posix())
                    if len(found) >= MAX_LISTED:
                        return sorted(found)
        return sorted(found)

    def read(self, rel: object) -> str:
        """The text of workspace file `rel` (404 when missing, 413 when over the limit)."""
        path = self.resolve(rel)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        except FileNotFoundError:
            raise WorkspaceError(404, f"no file `{rel}`") from None
        except OSError as exc:
            raise WorkspaceError(403, f"cannot open `{rel}`: {exc.strerror}") from None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise WorkspaceError(403, f"`{rel}` is not a regular file")
            data = os.read(fd, LIMITS.max_file_chars * 4 + 1)
        finally:
            os.close(fd)
        if len(data) > LIMITS.max_file_chars * 4:
            raise WorkspaceError(413, f"`{rel}` is larger than the file size limit")
        return data.decode("utf-8", errors="replace")

    def save(self, rel: object, text: str) -> Path:
        """Write `text` to workspace file `rel` atomically; its folder must exist."""
        path = self.writable(rel)
        with self._lock(path):
            write_atomic(path, text)
        return path

    def writable(self, rel: object) -> Path:
        """The path of workspace file `rel` if it may be saved, else `WorkspaceError`."""
        path = self.resolve(rel)
        if path.is_symlink():
            raise WorkspaceError(403, "saving through a symlink is not allowed")
        if path.exists() and not path.is_file():
            raise WorkspaceError(403, f"`{rel}` is not a regular file")
        if not path.parent.is_dir():
            raise WorkspaceError(404, "the folder of the file does not exist")
        return path

    def _lock(self, path: Path) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(path, threading.Lock())
