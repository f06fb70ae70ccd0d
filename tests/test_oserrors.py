"""`mgdsl.oserrors`: an `OSError` on a user's file becomes a coded error naming the path."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from mgdsl.cli.cmdline import CommandLine
from mgdsl.errors import MgFileError, format_diagnostic
from mgdsl.oserrors import file_error, os_errors


def _error(number: int) -> OSError:
    return OSError(number, os.strerror(number))


@pytest.mark.parametrize(("number", "code", "reason"), [
    (errno.EROFS, "E611", "the file system is read-only"),
    (errno.ENOSPC, "E612", "no space left on the device"),
    (errno.EDQUOT, "E612", "the disk quota or the file-size limit is reached"),
    (errno.EACCES, "E613", "permission denied"),
    (errno.EPERM, "E613", "permission denied"),
    (errno.EIO, "E614", "the operating system refused it (Input/output error)"),
])
def test_each_kind_of_failure_has_its_code(number: int, code: str, reason: str,
                                           tmp_path: Path) -> None:
    error = file_error(_error(number), tmp_path / "run" / "m.csv", action="write",
                       what="the metrics")
    assert error.code == code
    assert error.message == f"cannot write the metrics `{tmp_path}/run/m.csv`: {reason}"
    assert error.hint


def test_a_file_in_the_way_is_named(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    with pytest.raises(MgFileError) as info, os_errors(tmp_path / "afile" / "sub",
                                                       action="create", what="the folder"):
        (tmp_path / "afile" / "sub").mkdir(parents=True, exist_ok=True)
    assert info.value.code == "E610"
    assert info.value.message.endswith(f"`{tmp_path}/afile` exists and is a file, not a folder")
    assert isinstance(info.value.__cause__, OSError)


def test_reading_a_folder_says_it_is_a_folder(tmp_path: Path) -> None:
    with pytest.raises(MgFileError) as info, os_errors(tmp_path, action="read",
                                                       what="the checkpoint"):
        tmp_path.read_bytes()
    assert info.value.code == "E610"
    assert info.value.message.endswith(f"`{tmp_path}` is a folder, not a file")


def test_reading_a_missing_file_is_e601(tmp_path: Path) -> None:
    with pytest.raises(MgFileError) as info, os_errors(tmp_path / "x", action="read"):
        (tmp_path / "x").read_bytes()
    assert info.value.code == "E601"


def test_other_exceptions_pass_through() -> None:
    with pytest.raises(KeyError), os_errors("x", action="write"):
        raise KeyError("x")


def test_the_command_line_points_at_the_path_given() -> None:
    error = file_error(_error(errno.ENOSPC), "out/run/checkpoint.pt", action="write",
                       what="the checkpoint", given="out/run")
    line = CommandLine(["train", "net.mg", "--out", "out/run", "--epochs", "1"])
    shown = format_diagnostic(line.repoint(error))
    assert shown.startswith("<command line>:1:") and "error[E612]" in shown
    assert "^^^^^^^" in shown
    assert line.repoint(error).span.col == len("mgdsl train net.mg --out ") + 1
    eq = CommandLine(["train", "net.mg", "--out=out/run"])
    assert eq.repoint(error).span.col == len("mgdsl train net.mg --out=") + 1
