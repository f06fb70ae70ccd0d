"""The operating system says no: every failure to read or write a user's file in `compile -o`,
`render -o`, `export -o`, `fmt`, `check` and `stats` (and in printing a result) is a coded
error naming the path and the reason, exit 1, never a traceback.

A full disk and a read-only file system are real where the machine allows it (the test
runs the command in a private mount namespace with a small tmpfs: `unshare -m`, as root);
everywhere they are also simulated, by making the write's final rename fail. Permission is
always simulated: the tests run as root, whom permissions do not stop.
"""

from __future__ import annotations

import errno
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from paths import ROOT

from mgdsl.catalogue import CATALOGUE, RETIRED_CODES, retirements
from mgdsl.cli.main import main

NET = "network N() {\n    input image: 3 x 8 x 8\n    output y = relu(conv(image, 4))\n}\n"
UGLY = "network N(){input image:3 x 8 x 8\noutput y=relu(image)}\n"


def _run(capsys, *argv: str) -> tuple[int, str]:
    """Run `mgdsl ARGV` in-process: exit code and stderr."""
    code = main(list(argv))
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err, err
    return code, err


@pytest.fixture
def net(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "net.mg").write_text(NET, encoding="utf-8")
    return tmp_path / "net.mg"


def _fail_rename(number: int):
    """Make `write_atomic`'s final rename fail with `number` (what a full or read-only
    file system, or a missing permission, does to a write)."""
    return mock.patch("mgdsl.atomic.os.replace", side_effect=OSError(number, os.strerror(number)))


# ------------------------------------------------------------- something in the way


@pytest.mark.parametrize("verb, out", [("compile", "model.py"), ("render", "n.dot"),
                                       ("render", "n.tex")])
def test_a_regular_file_in_the_way(net: Path, capsys, verb: str, out: str) -> None:
    Path("afile").write_text("keep me", encoding="utf-8")
    code, err = _run(capsys, verb, "net.mg", "-o", f"afile/{out}")
    assert code == 1
    assert "error[E610]: cannot write the " in err
    assert f"`afile/{out}`: `afile` exists and is a file, not a folder" in err
    assert f"-o afile/{out}" in err and "^^^" in err  # points at the argument
    assert Path("afile").read_text(encoding="utf-8") == "keep me"


def test_a_folder_in_the_way(net: Path, capsys) -> None:
    Path("adir").mkdir()
    code, err = _run(capsys, "compile", "net.mg", "-o", "adir")
    assert code == 1 and "error[E610]" in err and "`adir` is a folder, not a file" in err
    assert os.listdir("adir") == []


# --------------------------------------------------------- full, read-only, forbidden


@pytest.mark.parametrize("number, code, reason", [
    (errno.ENOSPC, "E612", "no space left on the device"),
    (errno.EROFS, "E611", "the file system is read-only"),
    (errno.EACCES, "E613", "permission denied"),
])
@pytest.mark.parametrize("verb, out, what", [
    ("compile", "model.py", "the PyTorch source"),
    ("render", "n.dot", "the drawing"),
    ("render", "n.tex", "the drawing"),
])
def test_simulated_write_failures(net: Path, capsys, number: int, code: str, reason: str,
                                  verb: str, out: str, what: str) -> None:
    Path(out).write_text("the old file", encoding="utf-8")
    with _fail_rename(number):
        status, err = _run(capsys, verb, "net.mg", "-o", out)
    assert status == 1
    assert f"error[{code}]: cannot write {what} `{out}`: {reason}" in err
    assert Path(out).read_text(encoding="utf-8") == "the old file"
    assert sorted(os.listdir()) == sorted(["net.mg", out])  # no temporary file left


@pytest.mark.parametrize("number, code", [(errno.ENOSPC, "E612"), (errno.EROFS, "E611"),
                                          (errno.EACCES, "E613")])
def test_fmt_write_failures_leave_the_file_and_go_on(net: Path, capsys, number: int,
                                                     code: str) -> None:
    Path("a.mg").write_text(UGLY, encoding="utf-8")
    Path("b.mg").write_text(UGLY, encoding="utf-8")
    with _fail_rename(number):
        status, err = _run(capsys, "fmt", "a.mg", "b.mg")
    assert status == 1
    assert err.count(f"error[{code}]: cannot write the formatted file") == 2
    assert "<command line>:1:11" in err  # `mgdsl fmt a.mg`: the first file's argument
    assert Path("a.mg").read_text(encoding="utf-8") == UGLY
    assert sorted(os.listdir()) == ["a.mg", "b.mg", "net.mg"]


def test_permission_to_read_is_e603(net: Path, capsys) -> None:
    refused = PermissionError(errno.EACCES, os.strerror(errno.EACCES))
    for verb in ("check", "stats"):
        with mock.patch("mgdsl.syntax.parser.os.open", side_effect=refused):
            status, err = _run(capsys, verb, "net.mg")
        assert status == 1 and "error[E603]: cannot read `net.mg`: permission denied" in err


def test_a_use_whose_folder_cannot_be_searched_is_e603(net: Path, capsys) -> None:
    Path("main.mg").write_text('use "sub/blocks.mg"\n' + NET, encoding="utf-8")
    real_stat = Path.stat

    def stat(self, *args, **kwargs):
        if self.name == "blocks.mg":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        return real_stat(self, *args, **kwargs)

    with mock.patch.object(Path, "stat", stat):
        status, err = _run(capsys, "check", "main.mg")
    assert status == 1
    assert "main.mg:1:1: error[E603]: cannot read `sub/blocks.mg` to use: permission denied" in err


def test_a_result_that_cannot_be_printed(net: Path) -> None:
    """`mgdsl compile net.mg > /dev/full`: the full disk behind standard output."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for argv in (["compile", "net.mg"], ["check", "net.mg"], ["dump", "net.mg"]):
        with open("/dev/full", "w") as full:
            proc = subprocess.run([sys.executable, "-m", "mgdsl", *argv], stdout=full,
                                  stderr=subprocess.PIPE, text=True, env=env, timeout=120)
        assert proc.returncode == 1, proc.stderr
        assert proc.stderr.startswith("error[E612]: cannot write the output "
                                      "`<standard output>`: no space left on the device")
        assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr


# --------------------------------------------------------- the real thing, where allowed


def _private_mounts() -> bool:
    """Whether this process may mount a tmpfs in a mount namespace of its own."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=16k tmpfs "
                            "/mnt && umount /mnt"], capture_output=True, timeout=30)
    return probe.returncode == 0


needs_mounts = pytest.mark.skipif(not _private_mounts(),
                                  reason="mounting a tmpfs needs root and `unshare -m`")


def _in_small_fs(folder: Path, command: list[str], *, options: str) -> subprocess.CompletedProcess:
    """Run `command` with a tmpfs (mount `options`) on `folder`, in a private mount
    namespace, so the mount vanishes with the process."""
    script = (f"mount -t tmpfs -o {options} tmpfs {shlex.quote(str(folder))} && "
              f"exec {shlex.join(command)}")
    return subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)


@needs_mounts
@pytest.mark.parametrize("verb, out", [("compile", "model.py"), ("render", "n.svg")])
def test_a_full_file_system(tmp_path: Path, verb: str, out: str) -> None:
    small = tmp_path / "small"
    small.mkdir()
    # 8 KiB, a few times less than either file (MG-6's source is ~22 KB, its SVG ~40 KB)
    proc = _in_small_fs(small, [sys.executable, "-m", "mgdsl", verb, "MG-6", "-o",
                                f"{small}/{out}"], options="size=8k")
    assert proc.returncode == 1, proc.stderr
    assert "error[E612]: cannot write the " in proc.stderr
    assert f"`{small}/{out}`: no space left on the device" in proc.stderr
    assert "Traceback" not in proc.stderr


@needs_mounts
def test_a_read_only_file_system(tmp_path: Path) -> None:
    (tmp_path / "net.mg").write_text(NET, encoding="utf-8")
    ro = tmp_path / "ro"
    ro.mkdir()
    for verb, out in (("compile", "model.py"), ("render", "n.dot")):
        proc = _in_small_fs(ro, [sys.executable, "-m", "mgdsl", verb, str(tmp_path / "net.mg"),
                                 "-o", f"{ro}/{out}"], options="ro")
        assert proc.returncode == 1, proc.stderr
        assert f"`{ro}/{out}`: the file system is read-only" in proc.stderr
        assert "error[E611]" in proc.stderr and "Traceback" not in proc.stderr


# ---------------------------------------------------------------------- export (torch)


@pytest.mark.torch
@pytest.mark.parametrize("number, code", [(errno.ENOSPC, "E612"), (errno.EROFS, "E611")])
def test_export_write_failures(net: Path, capsys, number: int, code: str) -> None:
    pytest.importorskip("onnx")
    with _fail_rename(number):
        status, err = _run(capsys, "export", "net.mg", "-o", "n.onnx")
    assert status == 1 and f"error[{code}]: cannot write the ONNX model `n.onnx`" in err
    assert sorted(os.listdir()) == ["net.mg"]


@pytest.mark.torch
def test_export_into_a_file_in_the_way(net: Path, capsys) -> None:
    pytest.importorskip("onnx")
    Path("afile").write_text("", encoding="utf-8")
    status, err = _run(capsys, "export", "net.mg", "-o", "afile/n.onnx")
    assert status == 1 and "error[E610]" in err and "`afile` exists and is a file" in err


# ------------------------------------------------------------------- reading sources


def test_symlink_loops_are_not_missing_files(net: Path, capsys) -> None:
    os.symlink("loop.mg", "loop.mg")
    status, err = _run(capsys, "check", "loop.mg")
    assert status == 1 and "error[E620]: `loop.mg` is a symbolic link that loops" in err
    os.symlink("b.mg", "a.mg")
    os.symlink("a.mg", "b.mg")
    Path("main.mg").write_text('use "a.mg"\n' + NET, encoding="utf-8")
    status, err = _run(capsys, "stats", "main.mg")
    assert status == 1 and "main.mg:1:1: error[E620]: `a.mg` is a symbolic link" in err


def test_a_dangling_use_is_still_cannot_find(net: Path, capsys) -> None:
    os.symlink("gone.mg", "blocks.mg")
    Path("main.mg").write_text('use "blocks.mg"\n' + NET, encoding="utf-8")
    status, err = _run(capsys, "check", "main.mg")
    assert status == 1 and "error[E601]: cannot find `blocks.mg` to use" in err


def test_e602_is_retired() -> None:
    """E602 meant a checkpoint that cannot be loaded, then "not a regular file": both
    meanings have moved, and the code is never used again."""
    assert "E602" not in CATALOGUE and "E602" in RETIRED_CODES
    assert [r.replaced_by for r in retirements("E602")] == ["E606", "E621"]
    assert CATALOGUE["E621"].title == "not a regular file"
