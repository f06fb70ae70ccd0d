"""Hostile input: broken, huge, recursive, binary or malicious `.mg` files.

The promise: no input makes mgdsl crash with a traceback, hang, exhaust memory or run
code. Every failure is an `MgError` whose span lies inside the file, raised within a
bounded time (CPU time is measured, so a busy machine does not make tests flaky, and
`time_limit` turns a real hang into a failure instead of a stuck suite).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from paths import ROOT
from strategies import hostile_names, mutated_programs, random_bytes  # noqa: E402

import mgdsl
from mgdsl.elab.program import load_program
from mgdsl.errors import MgError, MgLimitError, flatten_errors
from mgdsl.limits import LIMITS
from mgdsl.syntax.fmt import format_source
from mgdsl.syntax.parser import parse_text
from mgdsl.testing.fuzz import (
    CheckOptions,
    check_bytes,
    error_span_problem,
    run_fuzz,
    time_limit,
)

HYP = settings(max_examples=120, deadline=None,  # examples: the profile's (conftest)
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CPU_BOUND = 1.0  # seconds of CPU per invalid-input check
LIMIT_BOUND = 3.0  # seconds of CPU to run into a resource limit (the limit is the work)


def front_end(text: str, file: str = "bad.mg", bound: float = CPU_BOUND) -> MgError | None:
    """Parse, build, stats and fmt `text`; the MgError raised, or None when valid.
    Fails the test on any other exception, a span outside the file, or a slow check."""
    start = time.process_time()
    error = None
    with time_limit(20):
        try:
            program = load_program(file, text=text)
            format_source(text, file)
            mgdsl.stats(mgdsl.build_graph(program))
        except MgError as exc:
            error = exc
    took = time.process_time() - start
    assert took < bound, f"{took:.2f} s CPU"
    if error is not None:
        problem = error_span_problem(error, text, file)
        assert problem is None, f"{problem}\n{error}"
    return error


# ------------------------------------------------------------------- random input


@HYP
@given(mutated_programs())
def test_mutated_programs_give_mg_errors_with_spans_in_the_file(data: bytes) -> None:
    finding = check_bytes(data, CheckOptions(render=False, compile=False,
                                             front_seconds=CPU_BOUND, hang_seconds=20))
    assert finding is None, f"{finding.stage}: {finding.message}\n{finding.detail}"


@settings(HYP, max_examples=60)
@given(random_bytes())
def test_random_bytes_and_invalid_utf8(data: bytes) -> None:
    finding = check_bytes(data, CheckOptions(render=False, compile=False,
                                             front_seconds=CPU_BOUND, hang_seconds=20))
    assert finding is None, f"{finding.stage}: {finding.message}\n{finding.detail}"


@pytest.mark.parametrize("text", [
    "", "\n", "{", "}", "network", "network N", "network N(", "network N() {",
    "network N() { input x: 1 x 8 x 8 output y = x", 'use "', "use \"std.mg\"\nuse",
    "\ufeffnetwork N() { }", "network N() { input x: 1 x 8 x 8\r output y = relu(x\r",
    "network N() { p = 1 +", "network N() { input x: 1 x 8 x 8 output y = x }}",
    "block b(p) { return p } network N() { input x: 1 x 1 x 1 output y = b(x) b(x) }",
    "network N() { input x: 0 x 0 x 0 output y = x }",
    "network N() { input x: -1 x 8 x 8 output y = x }",
    "network N() { input x: 1.5 x 8 x 8 output y = x }",
    "network N() { input x: 1 x 8 x 8 output y = conv(x, 1e999) }",
    "network N() { input x: 1 x 8 x 8 output y = x[99999999999999999999] }",
    "network N() { input x: 1 x 8 x 8 output y = pyramid(x, 17) }",
    "network N() { input x: 1 x 2 x 2 output y = conv(x, 1, k = 5, pad = 0) }",
    "network N() { input x: 1 x 8 x 8 output y = concat() }",
    "network N() { input x: 1 x 8 x 8 output y = min() }",
    'network N() { input x: 1 x 8 x 8 output y = bn(x, gamma = "os") }',
])
def test_hand_written_broken_programs(text: str) -> None:
    error = front_end(text)
    assert error is not None, "a broken program was accepted"
    assert all(e.code for e in flatten_errors(error))


# ------------------------------------------------------------------ resource limits


def limit_code(text: str, **overrides: int) -> str:
    """The first error code of `text`, which must be raised quickly."""
    with LIMITS.override(**overrides) if overrides else contextlib.nullcontext():
        error = front_end(text, bound=LIMIT_BOUND)
    assert error is not None
    return flatten_errors(error)[0].code


NET = "network N() {{ input x: 1 x 8 x 8 {body} output y = x }}"


@pytest.mark.parametrize("body, code", [
    ("repeat 1000000000 { c = 1 }", "E504"),
    ("repeat 100000 { repeat 100000 { c = 1 } }", "E508"),
    ("c = " + "(" * 200 + "1" + ")" * 200, None),
    ("c = " + "[" * 200 + "1" + "]" * 200, "E501"),
    ("c = " + "-" * 200 + "1", "E501"),
    ("c = " + " + ".join(["1"] * 500), "E501"),
    ("c = " + "9" * 5000, "E509"),
    ("c = 2 repeat 100 { c = c * c }", "E509"),
    ("z = conv(x, 100000000)", "E504"),
    ("z = upsample(x, scale = 64) z = upsample(z, scale = 64) z = upsample(z, scale = 64)",
     "E506"),
    ("z = linear(flatten(conv(x, 65536)), 65536)", "E507"),
    ("p = x repeat 100000 { p = relu(p) }", "E503"),
    ("c = 2 ** 2 ** 2 ** 2 ** 2 ** 2", "E509"),
    ("c = 10 ** 10 ** 10", "E509"),
    ("c = 2.0 ** 1e308", "E509"),
    ("c = 3 repeat 100 { c = c ** 2 }", "E509"),
    ("c = " + "not " * 200 + "true", "E501"),
    ("c = 1 " + "if true { " * 100 + "c = 2" + " }" * 100, "E501"),
    ("repeat 100000 { repeat 100000 { if true or false { c = 1 } else { c = 2 } } }", "E508"),
])
def test_resource_limits_fail_fast(body: str, code: str | None) -> None:
    text = NET.format(body=body)
    if code is None:  # parentheses alone build no tree: deep but harmless
        front_end(text)
        return
    assert limit_code(text) == code


def test_huge_inputs_are_refused_before_anything_is_built() -> None:
    assert limit_code("network N() { input x: 1 x 16385 x 8 output y = x }") == "E504"
    assert limit_code("network N() { input x: 65537 x 8 x 8 output y = x }") == "E504"
    assert limit_code("network N() { input x: 1 x 8 x 8 output y = pyramid(x, 17)[0] }") == "E504"


def test_a_long_list_in_a_repeat_is_bounded() -> None:
    items = ", ".join(["1"] * 3000)
    assert limit_code(NET.format(body=f"L = [{items}] repeat 100000 {{ c = L * 2 }}")) == "E508"
    assert limit_code(NET.format(body=f"L = [{items}] repeat 100000 {{ c = min(L) }}")) == "E508"


def test_deeply_nested_and_recursive_blocks() -> None:
    chain = "".join(f"block b{i}(p) {{ return b{i + 1}(p) }}\n" for i in range(40))
    chain += "block b40(p) { return relu(p) }\n"
    assert limit_code(chain + "network N() { input x: 1 x 8 x 8 output y = b0(x) }") == "E510"
    doubling = "".join(f"block d{i}(p) {{ return d{i + 1}(d{i + 1}(p)) }}\n" for i in range(30))
    doubling += "block d30(p) { return relu(p) }\n"
    text = doubling + "network N() { input x: 1 x 8 x 8 output y = d0(x) }"
    with LIMITS.override(max_nodes=2_000):
        assert limit_code(text) == "E503"
    mutual = "block a(p) { return b(p) }\nblock b(p) { return a(p) }\n"
    assert limit_code(mutual + "network N() { input x: 1 x 8 x 8 output y = a(x) }") == "E209"


def test_limits_can_be_raised() -> None:
    text = NET.format(body="p = x repeat 30 { p = relu(p) }")
    with LIMITS.override(max_nodes=10):
        assert limit_code(text) == "E503"
    with LIMITS.override(max_nodes=100):
        assert front_end(text) is None
    with pytest.raises(AttributeError):
        with LIMITS.override(max_nonsense=1):
            pass


def test_very_long_files_are_refused_at_once() -> None:
    text = "# " + "x" * LIMITS.max_file_chars + "\n"
    start = time.process_time()
    with pytest.raises(MgLimitError) as info:
        parse_text(text)
    assert info.value.code == "E502"
    assert time.process_time() - start < 0.5


# --------------------------------------------------------------------------- files


def test_use_of_bad_files(tmp_path: Path) -> None:
    (tmp_path / "dir.mg").mkdir()
    (tmp_path / "bin.mg").write_bytes(b"block b(p) { return p }\x00\x01")
    (tmp_path / "latin.mg").write_bytes("# größe\n".encode("latin-1"))
    (tmp_path / "a.mg").write_text('use "b.mg"\n', encoding="utf-8")
    (tmp_path / "b.mg").write_text('use "a.mg"\n', encoding="utf-8")
    (tmp_path / "self.mg").write_text('use "self.mg"\n', encoding="utf-8")
    cases = {"missing.mg": "E601", "dir.mg": "E621", "bin.mg": "E604", "latin.mg": "E604",
             "a.mg": "E605", "self.mg": "E605", "/etc/passwd": "E601", "../../../x": "E601"}
    for target, code in cases.items():
        main = tmp_path / "main.mg"
        main.write_text(f'use "{target}"\nnetwork N() {{ input x: 1 x 8 x 8 output y = x }}\n',
                        encoding="utf-8")
        with pytest.raises(MgError) as info:
            mgdsl.build_graph(main)
        first = flatten_errors(info.value)[0]
        assert first.code == code, (target, str(info.value))
        assert first.span is not None and first.span.line == 1


def test_deep_use_chains_hit_the_limit(tmp_path: Path) -> None:
    for i in range(40):
        (tmp_path / f"u{i}.mg").write_text(f'use "u{i + 1}.mg"\n', encoding="utf-8")
    (tmp_path / "u40.mg").write_text("block b(p) { return p }\n", encoding="utf-8")
    with pytest.raises(MgError) as info:
        load_program(tmp_path / "u0.mg")
    assert "E505" in {e.code for e in flatten_errors(info.value)}


def test_entry_files_that_cannot_be_read(tmp_path: Path) -> None:
    (tmp_path / "d.mg").mkdir()
    (tmp_path / "bin.mg").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "bad.mg").write_bytes(b"network N() { \xff }")
    cases = [(tmp_path / "nope.mg", "E601"), (tmp_path / "d.mg", "E621"),
             (tmp_path / "bin.mg", "E604"), (tmp_path / "bad.mg", "E604")]
    if os.geteuid() != 0:
        locked = tmp_path / "locked.mg"
        locked.write_text("network N() { }", encoding="utf-8")
        locked.chmod(0)
        cases.append((locked, "E603"))
    for path, code in cases:
        with pytest.raises(MgError) as info:
            mgdsl.build_graph(path)
        assert flatten_errors(info.value)[0].code == code


# ------------------------------------------------------------ nothing is executed


def _hostile_program(names: list[str]) -> str:
    var, sec, out1, out2, blk = names
    return (f'use "std.mg"\n'
            f"block {blk}_(p, ch) {{ return cbr(p, ch) }}\n"
            f"network {var}(c = 2) {{\n"
            f"    input {var}: 1 x 8 x 8\n"
            f"    section {sec} {{ {var}_p = stems({var}, [c, c], levels = 2) }}\n"
            f"    {var}_p = {blk}_({var}_p, [c, 3])\n"
            f"    output {out1} = {var}_p[0]\n"
            f"    output {out2} = classifier({var}_p, 3)\n"
            "}\n")


@settings(HYP, max_examples=6)
@given(names=st.lists(hostile_names(), min_size=5, max_size=5, unique=True))
@pytest.mark.torch
def test_hostile_names_run_nothing(names: list[str], tmp_path_factory) -> None:
    torch = pytest.importorskip("torch")
    tmp = tmp_path_factory.mktemp("hostile")
    marker = tmp / "MARKER"
    text = _hostile_program(names)
    try:
        ir = mgdsl.build_graph(text)
    except MgError as exc:  # a name the language itself reserves: a clean error is fine
        assert error_span_problem(exc, text, "<string>") is None
        return
    gm = mgdsl.to_fx(ir, seed=0).eval()
    source = mgdsl.emit_source(ir)
    namespace: dict = {"__name__": "hostile_emitted"}
    cwd = os.getcwd()
    os.chdir(tmp)
    try:
        exec(compile(source, "<emitted>", "exec"), namespace)
        classes = [v for v in namespace.values() if isinstance(v, type)
                   and issubclass(v, torch.nn.Module) and v.__module__ == "hostile_emitted"
                   and "forward" in v.__dict__ and v.__init__.__code__.co_varnames[:2] == ("self", "init")]
        assert classes
        model = classes[-1](init="torch")
        model.load_state_dict(gm.state_dict())
        x = torch.randn(2, 1, 8, 8)
        model.eval()(x)
        gm(x)
    finally:
        os.chdir(cwd)
    assert not marker.exists()
    assert list(tmp.iterdir()) == []


@pytest.mark.torch  # runs the emitted source
def test_code_in_strings_file_names_and_comments_is_inert(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a payload that ran would create ./MARKER here
    payload = "__import__('os').system('touch MARKER')"
    text = ('use "std.mg"\n'
            f"# {payload}\n"
            f'network N(s = "{payload}") {{\n'
            # a lone CR ends a line (as in classic Mac files), so the second comment
            "    input x: 1 x 8 x 8  # \r    # \"\"\" ; " + payload + "\n"
            "    output y = relu(x)\n"
            "}\n")
    weird = tmp_path / f'evil"""\n{payload}\n#.mg'
    weird.write_text(text, encoding="utf-8")
    ir = mgdsl.build_graph(weird)
    source = mgdsl.emit_source(ir)
    exec(compile(source, "<emitted>", "exec"), {"__name__": "evil_emitted"})
    mgdsl.render(ir)
    with pytest.raises(MgError):
        mgdsl.build_graph(text.replace("relu(x)", f'bn(x, gamma = "{payload}")'))
    assert sorted(p.name for p in tmp_path.iterdir()) == [weird.name]


# ------------------------------------------------------------------ writing outputs


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mgdsl", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_failed_outputs_leave_no_half_written_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mg"
    bad.write_text("network N() { input x: 1 x 8 x 8 output y = conv(x, 0) }\n", encoding="utf-8")
    old = tmp_path / "model.py"
    old.write_text("previous contents\n", encoding="utf-8")
    for verb, out in (("compile", old), ("render", tmp_path / "n.dot")):
        result = _cli(verb, str(bad), "-o", str(out), cwd=tmp_path)
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
    assert old.read_text(encoding="utf-8") == "previous contents\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.mg", "model.py"]


def test_write_atomic_keeps_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    from mgdsl.cli.common import write_atomic

    target = tmp_path / "out.py"
    target.write_text("old\n", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        write_atomic(target, "partial text then a lone surrogate \ud800")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.py"]


def test_cli_never_prints_a_traceback_on_hostile_files(tmp_path: Path) -> None:
    (tmp_path / "bin.mg").write_bytes(b"\x00\xff\xfe")
    (tmp_path / "deep.mg").write_text(NET.format(body="c = " + "[" * 500 + "]" * 500),
                                      encoding="utf-8")
    for args in (("check", "bin.mg", "deep.mg"), ("fmt", "bin.mg", "deep.mg"),
                 ("stats", "bin.mg"), ("stats", "deep.mg"), ("dump", "deep.mg")):
        result = _cli(*args, cwd=tmp_path)
        assert result.returncode == 1, (args, result.stderr)
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr


# --------------------------------------------------------------------------- fuzzer


def test_a_short_fuzz_run_finds_nothing(tmp_path: Path) -> None:
    summary = run_fuzz(60, seed=20261125, save_dir=tmp_path, max_inputs=40,
                       opts=CheckOptions(front_seconds=2.0, hang_seconds=30.0),
                       log=lambda line: None)
    assert summary["inputs"] == 40
    assert summary["findings"] == [], summary["findings"]
    assert summary["valid"] > 0


def test_fuzz_entry_point(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "mgdsl.testing.fuzz", "--seconds", "1", "--seed", "5",
                             "--no-compile", "--save-dir", str(tmp_path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "inputs in" in result.stdout and "0 finding(s)" in result.stdout
