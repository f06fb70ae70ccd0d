"""Names from the text become safe, distinct, deterministic Python identifiers, the same in
the fx module and in emitted source; nothing from the text is ever executed."""

from __future__ import annotations

import builtins
import keyword
from pathlib import Path

import pytest
import torch
from helpers import import_source
from hypothesis import given
from hypothesis import strategies as st

import mgdsl
from mgdsl.codegen.fx import to_fx
from mgdsl.codegen.names import MODULE_ATTRIBUTES, RESERVED, Namespace, comment_text, py_ident
from mgdsl.codegen.plan import module_paths
from mgdsl.codegen.source import emit_source

pytestmark = pytest.mark.torch  # imports torch


def _valid(name: str) -> bool:
    return name.isidentifier() and name.isascii() and not keyword.iskeyword(name)


@pytest.mark.parametrize("raw,expected", [
    ("image", "image"), ("__class__", "class__"), ("__init__", "init__"),
    ("__import__", "import__"), ("forward", "forward_"), ("training", "training_"),
    ("to", "to_"), ("exec", "exec_"), ("class", "class_"), ("self", "self_"),
    ("Größe", "Grosse"), ("名前", "u540d_u524d"), ("①x", "n1x"), ("_modules", "modules_"),
    ("", "x"), ("a b\nc", "a_b_c"), ("T_destination", "T_destination_"),
])
def test_py_ident(raw, expected):
    assert py_ident(raw) == expected
    assert _valid(expected)


@given(st.text(max_size=20))
def test_py_ident_is_always_a_safe_identifier(raw):
    name = py_ident(raw)
    assert _valid(name)
    assert name not in RESERVED
    assert not name.startswith("_")
    assert py_ident(raw) == name


@given(st.lists(st.text(max_size=6), max_size=12))
def test_namespace_names_are_distinct(raws):
    ns = Namespace()
    names = [ns.add(r) for r in raws]
    assert len(set(names)) == len(names)
    assert all(_valid(n) for n in names)


def test_names_differing_in_case_stay_distinct_and_readable():
    ns = Namespace()
    assert [ns.add("Conv"), ns.add("conv"), ns.add("CONV")] == ["Conv", "conv", "CONV"]


def test_reserved_attributes_cover_the_installed_torch():
    from torch import fx, nn

    public = {n for n in dir(nn.Module()) if not n.startswith("_")}
    public |= {n for n in dir(fx.GraphModule(nn.Module(), fx.Graph())) if not n.startswith("_")}
    assert public <= MODULE_ATTRIBUTES | set(dir(builtins))


@given(st.text(max_size=40))
def test_comment_text_stays_on_one_printable_line(text):
    out = comment_text(text)
    assert out.isascii() and out.isprintable() and "\n" not in out and "\r" not in out


HOSTILE = '''use "std.mg"
network exec(forward = 4, tag = "x") {
    input self: 3 x 16 x 16
    input os: 3 x 16 x 16
    section __import__ {
        training = cbr(self, forward)
        conv0 = conv(training, 4)
        section conv0 { z = conv(conv0, 4) }
    }
    section Größe { to = cbr(os, 4) }
    section größe { t2 = cbr(os, 4) }
    section __class__ { s = relu(z + to + t2) }
    output os = s
    output OS = sigmoid(s)
    output __init__ = classifier(s, 3)
}
'''

# a section and an op at one scope that the IR names `linear0` and `linear0.conv0.g0`
LEAF_CONTAINER = '''use "std.mg"
network N() {
    input x: 2 x 4 x 4
    section linear0 { y = conv(x, 2) }
    output out = linear(flatten(y), 3)
}
'''

CANARY_CODE = "\nimport pathlib; pathlib.Path({path!r}).touch()\n#"


def _load(text: str, path: Path):
    return import_source(text, path, "mg_hostile")


def _check_pair(ir, tmp_path: Path, stem: str):
    torch.manual_seed(0)
    gm = to_fx(ir, seed=0)
    text = emit_source(ir)
    mod = _load(text, tmp_path / f"{stem}.py")
    src = getattr(mod, gm.__class__.__name__)(seed=0)
    assert list(src.state_dict()) == list(gm.state_dict())
    src.load_state_dict(gm.state_dict())
    gm.eval()
    src.eval()
    xs = [torch.randn(2, *ir.nodes[n].shape) for n in ir.graph["inputs"].values()]
    a, b = gm(*xs), src(*xs)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            torch.testing.assert_close(a[k], b[k], atol=1e-5, rtol=1e-5)
    else:
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    return gm, text, a


def test_hostile_names_compile_and_run_without_side_effects(tmp_path, monkeypatch):
    canary = tmp_path / "CANARY"
    ir = mgdsl.build_graph(HOSTILE, tag=CANARY_CODE.format(path=str(canary)))
    gm, text, out = _check_pair(ir, tmp_path, "hostile")
    assert not canary.exists()
    assert gm.__class__.__name__ == "exec_"
    assert list(out) == ["os", "OS", "__init__"]  # dict keys keep the .mg names
    assert [n.name for n in gm.graph.nodes if n.op == "placeholder"] == ["self_", "os"]
    keys = list(gm.state_dict())
    assert "import__.cbr0.conv0.g0.weight" in keys
    assert "Grosse.cbr0.conv0.g0.weight" in keys and "grosse.cbr0.conv0.g0.weight" in keys
    assert all(k.isascii() for k in keys)
    assert all(line.lstrip().startswith("#") or "pathlib" not in line
               for line in text.splitlines())


def test_leaf_and_container_with_one_name_get_distinct_paths(tmp_path):
    ir = mgdsl.build_graph(LEAF_CONTAINER)
    paths = module_paths(ir, [n for n in ir.nodes if ir.nodes[n].op in ("conv", "linear")])
    assert sorted(paths.values()) == [("linear0", "conv0", "g0"), ("linear0_2",)]
    _check_pair(ir, tmp_path, "leaf")


def test_file_name_with_newlines_stays_in_comments(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    canary = tmp_path / "CANARY"
    evil = tmp_path / f"evil{CANARY_CODE.format(path='CANARY')}.mg"
    evil.write_text('network N() { input x: 1 x 4 x 4  output y = relu(x) }', encoding="utf-8")
    ir = mgdsl.build_graph(evil)
    _check_pair(ir, tmp_path, "evil")
    assert not canary.exists()


def test_class_name_option_is_sanitised():
    ir = mgdsl.build_graph(LEAF_CONTAINER)
    assert "class import_(nn.Module):" in emit_source(ir, class_name="import")
    assert to_fx(ir, class_name="import").__class__.__name__ == "import_"
