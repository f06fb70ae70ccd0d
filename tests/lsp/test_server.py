"""`mgdsl lsp` end to end: a client process talks LSP over stdio to the server, as an
editor does (pygls's client, `mgdsl.lsp.client.EditorSession`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types as lsp
from paths import ROOT
from pygls.exceptions import JsonRpcException

import mgdsl
from mgdsl.lsp.client import EditorSession
from mgdsl.syntax.fmt import format_source

NET = '''use "std.mg"
use "lib.mg"

network Tiny(c = 8) {
    input image: 1 x 16 x 16
    section stem {
        p = stems(image, [c, c / 2], levels = 2)
    }
    section body {
        p = twice(p, [c, c])
    }
    y = conv(p[0], 4, 3)
    output out = sigmoid(cb(y, 1))
}
'''

LIB = '''# Two mg-conv units in a row.
block twice(p, ch, k = 3) {
    q = mgcbr(p, ch, k)
    return mgcbr(q, ch, k)
}
'''


def _line_col(text: str, needle: str, offset: int = 0) -> tuple[int, int]:
    """0-based line and column of the first `needle` in `text` (plus `offset` columns)."""
    for n, line in enumerate(text.split("\n")):
        if needle in line:
            return n, line.index(needle) + offset
    raise AssertionError(needle)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ws")
    (root / "net.mg").write_text(NET, encoding="utf-8")
    (root / "lib.mg").write_text(LIB, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def editor(workspace):
    session = EditorSession(root=workspace, cwd=workspace,
                            options={"errorsUrl": "https://mg.example/errors"})
    session.start()
    session.open("net.mg", NET)
    assert session.wait_diagnostics("net.mg") == []
    yield session
    assert session.alive, "the server died during the tests"
    assert session.stop() == 0


def test_initialize_announces_the_features(editor):
    caps = editor.capabilities
    assert caps.hover_provider and caps.definition_provider
    assert caps.document_symbol_provider and caps.document_formatting_provider
    assert "(" in caps.completion_provider.trigger_characters


def test_diagnostics_carry_code_range_hint_and_link(editor):
    bad = NET.replace("y = conv(p[0], 4, 3)", "y = conv(p[0], 4, 3, strid = 2)")
    editor.open("bad.mg", bad)
    (d,) = editor.wait_diagnostics("bad.mg")
    assert d.code == "E202" and d.source == "mgdsl"
    assert d.severity == lsp.DiagnosticSeverity.Error
    line, col = _line_col(bad, "strid")
    assert (d.range.start.line, d.range.start.character) == (line, col)
    assert d.range.end.character == col + len("strid = 2")
    assert "no argument `strid`" in d.message and "hint: did you mean `stride`?" in d.message
    assert d.code_description.href == "https://mg.example/errors#e202"


def test_diagnostics_follow_edits_and_clear_when_fixed(editor):
    editor.open("edit.mg", NET)
    assert editor.wait_diagnostics("edit.mg") == []
    line, col = _line_col(NET, "levels = 2", len("levels = "))
    v = editor.change("edit.mg", "3", (line, col, line, col + 1))  # 3 levels, 2 widths
    (d,) = editor.wait_diagnostics("edit.mg", v)
    assert d.code == "E403" or d.code.startswith("E4") or d.code.startswith("E3")
    assert d.range.start.line == line
    v = editor.change("edit.mg", "2", (line, col, line, col + 1))
    assert editor.wait_diagnostics("edit.mg", v) == []
    v = editor.change("edit.mg", "network {")  # a syntax error: still answered
    (d,) = editor.wait_diagnostics("edit.mg", v)
    assert d.code.startswith("E1")
    editor.close("edit.mg")
    assert editor.wait_diagnostics("edit.mg", None) == []


def test_problem_in_a_used_file_is_shown_on_its_use_line(editor, workspace):
    (workspace / "broken.mg").write_text("block b(p) { return p p }\n", encoding="utf-8")
    text = 'use "broken.mg"\nnetwork N() { input x: 1 x 4 x 4  output y = x }\n'
    editor.open("uses-broken.mg", text)
    (d,) = editor.wait_diagnostics("uses-broken.mg")
    assert d.range.start.line == 0 and d.code.startswith("E1")
    assert "broken.mg:1:" in d.message


def _hover(editor, text: str, needle: str, offset: int = 0) -> str:
    line, col = _line_col(text, needle, offset)
    result = editor.hover("net.mg", line, col)
    assert result is not None, needle
    return result.contents.value


def test_hover_shows_the_shape_of_every_grid(editor):
    text = _hover(editor, NET, "p = twice", 0)  # the assignment's target
    assert "pyramid of 2 grids" in text
    assert "| 0 | 8 × 16 × 16 |" in text and "| 1 | 8 × 8 × 8 |" in text


def test_hover_on_a_call_gives_its_parameters_and_macs(editor):
    ir = mgdsl.build_graph(NET.replace('use "lib.mg"\n', LIB), "Tiny")
    conv = [d for _, d in ir.nodes(data=True) if d.op == "conv" and d.shape == (4, 16, 16)]
    (node,) = conv
    text = _hover(editor, NET, "conv(p[0]", 1)
    assert "grid" in text and "| 0 | 4 × 16 × 16 |" in text
    assert f"params {node.meta.params:,}" in text
    assert f"MACs {node.meta.macs:,}" in text
    assert "```mg\nconv(x, ch, k = 3" in text  # the built-in's signature, from its spec
    assert "pad = dilation * (k // 2)" in text


def test_hover_on_a_block_call_shows_its_signature_and_doc(editor):
    text = _hover(editor, NET, "twice(", 1)
    assert "block twice(p, ch, k = 3)" in text
    assert "Two mg-conv units in a row." in text and "from `lib.mg`" in text


def test_hover_on_a_network_name_gives_its_totals(editor):
    stats = mgdsl.stats(mgdsl.build_graph(NET.replace('use "lib.mg"\n', LIB), "Tiny"))
    text = _hover(editor, NET, "Tiny", 1)
    assert f"params {stats.params:,}" in text and f"MACs {stats.macs:,}" in text
    assert "inputs: `image` 1 × 16 × 16" in text and "outputs: `out` 1 × 16 × 16" in text


def test_hover_on_a_number_and_on_nothing(editor):
    assert "integer = `8`" in _hover(editor, NET, "c = 8", 4)
    line, _ = _line_col(NET, "section body")
    assert editor.hover("net.mg", line + 100, 0) is None


def _target(locations) -> tuple[str, int, int]:
    (loc,) = locations
    return Path(loc.uri.removeprefix("file://")).name, loc.range.start.line, \
        loc.range.start.character


def test_definition_of_blocks_variables_arguments_and_uses(editor, workspace):
    line, col = _line_col(NET, "twice(", 1)
    assert _target(editor.definition("net.mg", line, col)) == ("lib.mg", 1, 6)
    line, col = _line_col(NET, "stems(", 1)
    name, def_line, _ = _target(editor.definition("net.mg", line, col))
    std = (Path(mgdsl.__file__).parent / "stdlib" / "std.mg").read_text(encoding="utf-8")
    assert name == "std.mg" and std.split("\n")[def_line].startswith("block stems(")
    line, col = _line_col(NET, "conv(p[0]", 6)  # `p` -> the nearest assignment above
    assert _target(editor.definition("net.mg", line, col)) == \
        ("net.mg", *_line_col(NET, "p = twice"))
    line, col = _line_col(NET, "twice(p", 6)  # `p` read by the statement defining it
    assert _target(editor.definition("net.mg", line, col)) == \
        ("net.mg", *_line_col(NET, "p = stems"))
    line, col = _line_col(NET, "p = twice")  # a definition -> itself
    assert _target(editor.definition("net.mg", line, col)) == ("net.mg", line, col)
    line, col = _line_col(NET, "levels = 2", 1)  # keyword argument -> the parameter
    name, def_line, def_col = _target(editor.definition("net.mg", line, col))
    assert name == "std.mg" and std.split("\n")[def_line][def_col:].startswith("levels")
    line, col = _line_col(NET, '"lib.mg"', 2)
    assert _target(editor.definition("net.mg", line, col)) == ("lib.mg", 0, 0)
    line, col = _line_col(NET, "image, [c", 1)
    assert _target(editor.definition("net.mg", line, col)) == \
        ("net.mg", *_line_col(NET, "image: 1", 0))


def _labels(result) -> list[str]:
    items = result.items if hasattr(result, "items") else result
    return [i.label for i in items]


def test_completion_of_arguments_variables_blocks_and_ops(editor):
    text = NET.replace("    y = conv(p[0], 4, 3)\n", "    y = conv(p[0], 4, \n")
    editor.open("complete.mg", text)
    line, col = _line_col(text, "conv(p[0], 4, ", len("conv(p[0], 4, "))
    labels = _labels(editor.completion("complete.mg", line, col))
    assert {"stride =", "k =", "pad ="} <= set(labels)
    assert {"p", "image", "c"} <= set(labels) and "q" not in labels  # q is twice's
    assert {"twice", "mgconv", "conv", "maxpool"} <= set(labels)
    assert labels.index("stride =") < labels.index("p") < labels.index("twice")


def test_completion_after_default_and_at_the_top_level(editor):
    text = "network N() {\n    default bn.\n    default \n}\n"
    editor.open("defaults.mg", text)
    assert {"eps", "momentum"} <= set(_labels(editor.completion("defaults.mg", 1, 15)))
    ops = _labels(editor.completion("defaults.mg", 2, 12))
    assert "conv" in ops and "flatten" not in ops  # flatten has no optional argument
    assert set(_labels(editor.completion("defaults.mg", 4, 0))) == {"use", "block", "network"}


def test_document_symbols(editor):
    symbols = editor.symbols("net.mg")
    names = [(s.name, s.kind) for s in symbols]
    assert ("Tiny", lsp.SymbolKind.Class) in names and ('use "lib.mg"', lsp.SymbolKind.Module) \
        in names
    (tiny,) = [s for s in symbols if s.name == "Tiny"]
    assert [c.name for c in tiny.children] == ["image", "stem", "body", "out"]
    assert tiny.selection_range.start == lsp.Position(*_line_col(NET, "Tiny"))


def test_if_statements_are_analysed_and_outlined(editor):
    text = ('use "std.mg"\nnetwork N(deep = 1) {\n    input x: 1 x 8 x 8\n'
            '    if deep > 0 and not deep == 2 {\n        section s { p = cbr(x, 4) }\n'
            '    } else {\n        p = x\n    }\n    output y = p\n}\n')
    editor.open("if.mg", text)
    assert editor.wait_diagnostics("if.mg") == []
    hover = editor.hover("if.mg", 8, len("    output y = p"))
    assert "| 0 | 4 × 8 × 8 |" in hover.contents.value
    (net,) = editor.symbols("if.mg")[1:]
    assert [c.name for c in net.children] == ["x", "s", "y"]


def test_formatting_is_mgdsl_fmt(editor):
    messy = "network N( ){input x:1 x 8 x 8\noutput y=relu( x )}"
    editor.open("messy.mg", messy)
    (edit,) = editor.formatting("messy.mg")
    assert edit.new_text == format_source(messy)
    assert edit.range.start == lsp.Position(0, 0) and edit.range.end == lsp.Position(1, 19)
    editor.change("messy.mg", format_source(messy))
    assert not editor.formatting("messy.mg")


BAD_REQUESTS = [  # (method, raw params, the JSON-RPC error code of the answer)
    ("textDocument/hover", {"textDocument": {"uri": "file:///nowhere/x.mg"},
                            "position": {"line": 0, "character": 0}}, -32803),
    ("textDocument/hover", {"textDocument": {"uri": "file:///nowhere/x.mg"}}, -32602),
    ("textDocument/definition", {"bogus": True}, -32602),
    ("textDocument/completion", {"textDocument": {"uri": "net.mg"},
                                 "position": {"line": -5, "character": 10**9}}, -32602),
    ("mgdsl/unknown", {}, -32601),
]


@pytest.mark.parametrize("method,params,code", BAD_REQUESTS,
                         ids=[m for m, _, _ in BAD_REQUESTS])
def test_bad_requests_get_an_error_answer_and_the_server_lives_on(editor, method, params, code):
    with pytest.raises(JsonRpcException) as info:  # an answer: a timeout would fail
        editor.request(method, params)
    assert info.value.code == code
    assert editor.alive
    line, col = _line_col(NET, "p = twice")
    assert editor.hover("net.mg", line, col) is not None


@pytest.mark.parametrize("text", [
    "\x00\x01\x02 binary", "network N(" * 2000, "((((" * 20000, "é𝄞 # ünicode\n" * 50,
    "network N() { p = ",
])
def test_hostile_text_is_diagnosed_not_fatal(editor, text):
    editor.open("hostile.mg", text)
    diags = editor.wait_diagnostics("hostile.mg")
    assert all(d.code.startswith("E") for d in diags)
    for line in range(3):
        for char in (0, 3, 10**6):
            editor.hover("hostile.mg", line, char)
            editor.completion("hostile.mg", line, char)
            editor.definition("hostile.mg", line, char)
    editor.symbols("hostile.mg")
    editor.formatting("hostile.mg")
    editor.close("hostile.mg")
    assert editor.alive


def test_positions_count_utf16_units(editor):
    text = 'network N() {\n    input x: 1 x 4 x 4\n    s = "𝄞" + 1 # 𝄞\n    output y = relu(x)\n}\n'
    editor.open("u16.mg", text)
    (d,) = editor.wait_diagnostics("u16.mg")
    assert d.code == "E406"
    assert (d.range.start.line, d.range.start.character) == (2, 8)
    assert d.range.end.character == 8 + len('"𝄞" + 1') + 1  # 𝄞 is two UTF-16 units
    hover = editor.hover("u16.mg", 3, len("    output y = relu(x"))
    assert "| 0 | 1 × 4 × 4 |" in hover.contents.value


def test_untitled_buffers_use_only_the_standard_library(editor):
    editor.open("untitled:Untitled-1", NET)  # lib.mg is in the server's working directory
    codes = {d.code for d in editor.wait_diagnostics("untitled:Untitled-1")}
    assert codes == {"E601"}  # ... but a buffer with no file does not `use` it


def test_the_analysis_does_not_import_torch():
    code = ("import sys\nimport mgdsl.cli.lsp\nfrom mgdsl.lsp.analysis import analyse\n"
            "analyse(open('architectures/rpmg.mg').read(), 'architectures/rpmg.mg')\n"
            "assert 'torch' not in sys.modules\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT)
    assert result.returncode == 0, result.stderr


def test_hover_on_a_value_whose_definition_failed_says_so(editor):
    text = "network N() {\n    input x: 3 x 8 x 8\n    y = nosuch(x)\n    output o = relu(x)\n}\n"
    editor.open("poison.mg", text)
    editor.wait_diagnostics("poison.mg")
    result = editor.hover("poison.mg", 2, 4)
    assert result is not None
    assert "computing it failed" in result.contents.value
    assert "object at 0x" not in result.contents.value and "Poison" not in result.contents.value
