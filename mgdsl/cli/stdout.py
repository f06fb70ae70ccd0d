"""Standard output that fails like a file: a full disk or an I/O error while a command
prints its result (`mgdsl compile net.mg > /full/disk/model.py`) is a coded error (E612,
E614, ... from `mgdsl.oserrors`), not a traceback."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

from mgdsl.oserrors import file_error

__all__ = ["guarded_stdout"]

_WHERE = "<standard output>"


class _Guarded:
    """A proxy of a stream whose writes and flushes raise `MgFileError` for an `OSError`
    (a closed pipe stays a `BrokenPipeError`: the reader left, nothing is wrong)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def _call(self, name: str, *args: Any) -> Any:
        try:
            return getattr(self._stream, name)(*args)
        except BrokenPipeError:
            raise
        except OSError as exc:
            _silence(self._stream)
            raise file_error(exc, _WHERE, action="write", what="the output",
                             hint="free some space, or write the output with -o somewhere "
                                  "else") from exc

    def write(self, data: Any) -> Any:
        return self._call("write", data)

    def writelines(self, lines: Any) -> Any:
        return self._call("writelines", lines)

    def flush(self) -> Any:
        return self._call("flush")

    @property
    def buffer(self) -> _Guarded:
        return _Guarded(self._stream.buffer)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _silence(stream: Any) -> None:
    """Point the stream's descriptor at /dev/null: what is still buffered would fail
    again when Python flushes it at exit, with a second, uncoded message."""
    with contextlib.suppress(AttributeError, OSError, ValueError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, stream.fileno())
        os.close(null)


@contextlib.contextmanager
def guarded_stdout() -> Iterator[None]:
    """Within the block `sys.stdout` raises coded errors; its buffer is flushed at the end
    (inside the guard) so a late failure is reported too."""
    original = sys.stdout
    sys.stdout = _Guarded(original)  # type: ignore[assignment]
    try:
        yield
        if not getattr(original, "closed", False):  # the language server closes it
            sys.stdout.flush()
    finally:
        sys.stdout = original
