"""An op is defined in one place: its `OpSpec`. The op table of docs/ops.md, the language
reference and the fuzzer's generator are read from the specs; adding an op touches one
file plus a regeneration (docs/ops.md, docs/contributing.md)."""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from pathlib import Path

from paths import ROOT

from mgdsl.ops import OPS
from mgdsl.ops.docs import markdown

HARDSWISH = '''

def _hardswish(a, i) -> Call:
    import torch.nn.functional as F

    return Call(F.hardswish)


SPECS.append(OpSpec(
    "hardswish", "hard swish", shape=same_shape, lower=_hardswish,
    source="F.hardswish({{ n.ins[0] }})", draw="fold", colour="#f6e3a1", builtin=X,
    example="hardswish(x)", doc="x * relu6(x + 3) / 6, element by element."))
'''

CHECK = '''
import random
from pathlib import Path

import mgdsl
from mgdsl.compilation import BUILTINS
from mgdsl.ops import OPS
from mgdsl.reference import op_entries
from mgdsl.testing.fuzz import UNARY_OPS, random_program

assert "hardswish" in OPS, "not in the op table"
assert BUILTINS["hardswish"].signature == "hardswish(x)", "no built-in"
ir = mgdsl.build_graph("network N() { input x: 2 x 8 x 8\\n output y = hardswish(x) }")
assert [d.op for _, d in ir.nodes(data=True)] == ["input", "hardswish", "output"]
entry = next(e for e in op_entries() if e.name == "hardswish")
assert entry.result == "4 x 8 x 8" and entry.shape == "unchanged", entry
assert "### `hardswish`" in Path("docs/language.md").read_text(), "not in the reference"
assert "| `hardswish` | activation |" in Path("docs/ops.md").read_text(), "not in docs/ops.md"
assert "hardswish" in UNARY_OPS, "not in the fuzzer's op table"
texts = [random_program(random.Random(seed)).text for seed in range(200)]
used = [t for t in texts if "hardswish(" in t]
assert used, "the fuzzer never generates it"
mgdsl.build_graph(used[0])
print("found everywhere")
'''


def test_the_op_table_of_docs_ops_md_is_current() -> None:
    text = (ROOT / "docs" / "ops.md").read_text(encoding="utf-8")
    assert markdown() in text, "docs/ops.md is stale: run `python -m mgdsl.ops docs/ops.md`"
    for name in OPS:
        assert f"| `{name}` |" in text


def test_adding_an_op_touches_one_file(tmp_path: Path) -> None:
    """`hardswish`, written into `mgdsl/ops/activation.py` of a copy of the repository
    and nowhere else, is then an op, a built-in, a documented function of the reference
    and of docs/ops.md (after the two regeneration commands), and the fuzzer generates it."""
    ignore = shutil.ignore_patterns("__pycache__", "*.png", "*.pdf", "gallery")
    shutil.copytree(ROOT / "mgdsl", tmp_path / "mgdsl", ignore=ignore)
    shutil.copytree(ROOT / "docs", tmp_path / "docs", ignore=ignore)
    activation = tmp_path / "mgdsl" / "ops" / "activation.py"
    activation.write_text(activation.read_text(encoding="utf-8") + HARDSWISH, encoding="utf-8")
    changed = _changed(ROOT / "mgdsl", tmp_path / "mgdsl")
    assert changed == ["ops/activation.py"], changed

    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    env.pop("MG_TREE", None)

    def run(*args: str) -> str:
        done = subprocess.run([sys.executable, *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "updated" in run("-m", "mgdsl.reference", "docs/language.md")
    assert "updated" in run("-m", "mgdsl.ops", "docs/ops.md")
    assert "found everywhere" in run("-c", CHECK)


def _changed(a: Path, b: Path, prefix: str = "") -> list[str]:
    """The files that differ between two folder trees (present in both)."""
    cmp = filecmp.dircmp(a, b, ignore=["__pycache__"])
    out = [prefix + name for name in cmp.diff_files]
    for sub in cmp.common_dirs:
        out += _changed(a / sub, b / sub, f"{prefix}{sub}/")
    return sorted(out)
