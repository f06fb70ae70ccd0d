"""`mgdsl lsp` across files: block-body problems shown where the block is defined, files that
`use` a changed file re-checked, references, rename and quick fixes. Driven through
`EditorSession` (pygls's client over stdio, as an editor)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types as lsp

import mgdsl
from mgdsl.lsp.analysis import analyse
from mgdsl.lsp.client import EditorSession

LIB = '''# Two mg-conv units in a row.
block twice(p, ch, k = 3) {
    q = mgcbr(p, ch, k)
    return mgcbr(q, ch, k)
}
'''

NET = '''use "std.mg"
use "lib.mg"

network Tiny(c = 8) {
    input image: 1 x 16 x 16
    p = stems(image, [c, c / 2], levels = 2)
    p = twice(p, [c, c], k = 3)
    output out = sigmoid(cb(p[0], 1))
}
'''

OTHER = '''use "std.mg"
use "lib.mg"

network Other() {
    input x: 1 x 8 x 8
    y = mgconv(x, [4])
    output out = twice(y, [4])[0]
}
'''

# a block of the same name in a file that does not use lib.mg: not a reference
UNRELATED = '''block twice(p, ch) {
    return p
}

network Alone() {
    input x: 1 x 8 x 8
    output y = twice(x, 1)
}
'''


def pos(text: str, needle: str, offset: int = 0, nth: int = 0) -> tuple[int, int]:
    """0-based line and column of the `nth` occurrence of `needle` (plus `offset`)."""
    seen = 0
    for n, line in enumerate(text.split("\n")):
        start = line.find(needle)
        while start >= 0:
            if seen == nth:
                return n, start + offset
            seen += 1
            start = line.find(needle, start + 1)
    raise AssertionError(needle)


def apply(text: str, edits) -> str:
    """`text` with LSP `edits` applied (ASCII text: characters are UTF-16 units)."""
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)

    def offset(p: lsp.Position) -> int:
        return starts[p.line] + p.character

    for e in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[:offset(e.range.start)] + e.new_text + text[offset(e.range.end):]
    return text


@pytest.fixture
def workspace(tmp_path) -> Path:
    return _workspace(tmp_path)


def _workspace(root: Path) -> Path:
    for name, text in (("lib.mg", LIB), ("net.mg", NET), ("other.mg", OTHER),
                       ("sub/unrelated.mg", UNRELATED)):
        (root / name).parent.mkdir(exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def _session(root: Path):
    session = EditorSession(root=root, cwd=root, timeout=30)
    session.start()
    yield session
    assert session.alive, "the server died during the test"
    session.stop()


@pytest.fixture
def editor(workspace):
    """A server of its own, for tests that change files."""
    yield from _session(workspace)


@pytest.fixture(scope="module")
def shared_workspace(tmp_path_factory) -> Path:
    return _workspace(tmp_path_factory.mktemp("shared"))


@pytest.fixture(scope="module")
def shared(shared_workspace):
    """One server for the tests that only ask (references, rename, quick fixes)."""
    yield from _session(shared_workspace)


def wait_until(editor: EditorSession, path: str, predicate, after: int = 0):
    """The first diagnostics published for `path` after its `after`-th publish that satisfy
    `predicate` (the session's timeout fails the test)."""
    n = after
    while True:
        n += 1
        diags = editor.wait_publish(path, n)
        if predicate(diags):
            return diags


def codes(diags) -> list[str]:
    return [d.code for d in diags]


# ------------------------------------------------------------ block-body diagnostics


def test_a_block_body_error_is_shown_where_the_block_is_defined(editor):
    editor.open("net.mg", NET)
    assert editor.wait_diagnostics("net.mg") == []
    editor.open("lib.mg", LIB)
    assert editor.wait_diagnostics("lib.mg") == []
    bad = LIB.replace("return mgcbr(q, ch, k)", "return mgcbr(q, chh, k)")
    before = editor.publishes("lib.mg")
    editor.change("lib.mg", bad)
    # lib.mg alone elaborates nothing: the error comes from checking net.mg, which calls it
    (d,) = wait_until(editor, "lib.mg", lambda ds: ds, before)
    line, col = pos(bad, "chh")
    assert d.code == "E200" and "unknown name `chh`" in d.message
    assert (d.range.start.line, d.range.start.character, d.range.end.character) == \
        (line, col, col + 3)
    assert "hint: did you mean `ch`?" in d.message
    assert "in block `twice` called at" in d.message and "net.mg:7:" in d.message
    # the caller shows it too, on its `use` line
    (n,) = wait_until(editor, "net.mg", lambda ds: ds)
    assert n.code == "E200" and n.range.start.line == 1 and "lib.mg:4:" in n.message
    # fixed: both clear
    before_lib, before_net = editor.publishes("lib.mg"), editor.publishes("net.mg")
    editor.change("lib.mg", LIB)
    wait_until(editor, "lib.mg", lambda ds: ds == [], before_lib)
    wait_until(editor, "net.mg", lambda ds: ds == [], before_net)


def test_block_body_errors_reach_a_defining_file_that_is_not_open(editor, workspace):
    (workspace / "lib.mg").write_text(LIB.replace("q = mgcbr(p, ch, k)", "q = mgcbr(p, ch, kk)"),
                                      encoding="utf-8")
    editor.open("net.mg", NET)
    assert codes(editor.wait_diagnostics("net.mg")) == ["E200"]
    (d,) = wait_until(editor, "lib.mg", lambda ds: ds)  # lib.mg was never opened
    assert d.code == "E200" and d.range.start.line == 2 and "`kk`" in d.message
    editor.close("net.mg")  # nobody calls the block any more: its problem goes
    assert wait_until(editor, "lib.mg", lambda ds: True, 1) == []


def test_each_caller_s_problem_is_published_once(editor, workspace):
    (workspace / "lib.mg").write_text(LIB.replace("q = mgcbr(p, ch, k)", "q = mgcbr(p, ch, kk)"),
                                      encoding="utf-8")
    editor.open("net.mg", NET)
    editor.open("other.mg", OTHER)
    editor.wait_diagnostics("other.mg")
    editor.wait_diagnostics("net.mg")
    # both callers found the mistake (each with its own call chain); lib.mg shows it once
    editor.open("lib.mg", (workspace / "lib.mg").read_text(encoding="utf-8"))
    (d,) = editor.wait_diagnostics("lib.mg")  # its own check's publish, with both callers'
    assert d.code == "E200" and d.range.start.line == 2


# --------------------------------------------------------------------- dependents


def test_files_that_use_a_changed_file_are_rechecked(editor):
    editor.open("net.mg", NET)
    editor.open("other.mg", OTHER)
    assert editor.wait_diagnostics("net.mg") == [] and editor.wait_diagnostics("other.mg") == []
    editor.open("lib.mg", LIB)
    editor.wait_diagnostics("lib.mg")
    net0, other0 = editor.publishes("net.mg"), editor.publishes("other.mg")
    editor.change("lib.mg", LIB.replace("block twice(", "block twice2("))  # not saved
    for path in ("net.mg", "other.mg"):
        (d,) = wait_until(editor, path, lambda ds: ds, net0 if path == "net.mg" else other0)
        assert d.code == "E201" and "unknown function `twice`" in d.message
        assert "did you mean `twice2`?" in d.message
    net1 = editor.publishes("net.mg")
    editor.change("lib.mg", LIB)
    wait_until(editor, "net.mg", lambda ds: ds == [], net1)


def test_saving_closing_and_changes_on_disk_recheck_dependents(editor, workspace):
    editor.open("net.mg", NET)
    assert editor.wait_diagnostics("net.mg") == []
    editor.open("lib.mg", LIB)
    broken = LIB.replace("block twice(p, ch, k = 3)", "block twice(p, ch)")
    net0 = editor.publishes("net.mg")
    editor.change("lib.mg", broken)
    (workspace / "lib.mg").write_text(broken, encoding="utf-8")
    editor.save("lib.mg")
    (d,) = wait_until(editor, "net.mg", lambda ds: ds, net0)
    assert d.code == "E202" and "no argument `k`" in d.message  # the call passes `k = 3`
    net1 = editor.publishes("net.mg")
    editor.close("lib.mg")  # read from disk again: still broken
    wait_until(editor, "net.mg", lambda ds: codes(ds) == ["E202"], net1)
    net2 = editor.publishes("net.mg")
    (workspace / "lib.mg").write_text(LIB, encoding="utf-8")  # e.g. `git checkout`
    editor.files_changed("lib.mg")
    wait_until(editor, "net.mg", lambda ds: ds == [], net2)


# ---------------------------------------------------------------------- references


def _where(locations) -> list[tuple[str, int, int, int]]:
    return sorted((Path(loc.uri.removeprefix("file://")).name, loc.range.start.line,
                   loc.range.start.character, loc.range.end.character) for loc in locations)


def test_references_of_a_block_across_files(shared):
    shared.open("net.mg", NET)
    shared.wait_diagnostics("net.mg")
    found = _where(shared.references("net.mg", *pos(NET, "twice(", 2)))
    assert found == [("lib.mg", *pos(LIB, "twice"), pos(LIB, "twice")[1] + 5),
                     ("net.mg", *pos(NET, "twice"), pos(NET, "twice")[1] + 5),
                     ("other.mg", *pos(OTHER, "twice"), pos(OTHER, "twice")[1] + 5)]
    # unrelated.mg defines its own `twice`: none of its names are these
    without = _where(shared.references("net.mg", *pos(NET, "twice("), declaration=False))
    assert [f[0] for f in without] == ["net.mg", "other.mg"]
    mine = _where(shared.references("sub/unrelated.mg", *pos(UNRELATED, "twice(x")))
    assert [f[0] for f in mine] == ["unrelated.mg", "unrelated.mg"]


def test_references_of_variables_and_parameters(shared):
    shared.open("net.mg", NET)
    shared.wait_diagnostics("net.mg")
    # `p` of network Tiny: assigned twice, read twice
    found = _where(shared.references("net.mg", *pos(NET, "p[0]")))
    assert [(f[1], f[2]) for f in found] == [pos(NET, "p = stems"), pos(NET, "p = twice"),
                                             pos(NET, "(p, [c", 1), pos(NET, "p[0]")]
    # parameter `k` of block twice: its definition, two uses, and `k = 3` in a call
    found = _where(shared.references("lib.mg", *pos(LIB, "k = 3")))
    assert found == sorted([("lib.mg", *pos(LIB, "k = 3"), pos(LIB, "k = 3")[1] + 1),
                            ("lib.mg", *pos(LIB, "k)", 0, 0), pos(LIB, "k)")[1] + 1),
                            ("lib.mg", *pos(LIB, "k)", 0, 1), pos(LIB, "k)", 0, 1)[1] + 1),
                            ("net.mg", *pos(NET, "k = 3"), pos(NET, "k = 3")[1] + 1)])
    # the same from the keyword argument at the call
    assert _where(shared.references("net.mg", *pos(NET, "k = 3"))) == found
    # a built-in has no definition in any file: nothing to list
    assert not shared.references("net.mg", *pos(NET, "sigmoid"))


# -------------------------------------------------------------------------- rename


def _apply_workspace_edit(root: Path, edit: lsp.WorkspaceEdit) -> dict[str, str]:
    out = {}
    for uri, edits in edit.changes.items():
        path = Path(uri.removeprefix("file://"))
        out[path.name] = apply(path.read_text(encoding="utf-8"), edits)
    return out


def _stats(root: Path, texts: dict[str, str], name: str = "net.mg"):
    sources = {str((root / n).resolve()): t for n, t in texts.items()}
    text = texts.get(name) or (root / name).read_text(encoding="utf-8")
    analysis = analyse(text, root / name, sources)
    assert analysis.errors == []
    return [mgdsl.stats(g).params for g in analysis.graphs]


def test_rename_a_block_everywhere_it_is_called(shared, shared_workspace):
    shared.open("net.mg", NET)
    shared.wait_diagnostics("net.mg")
    prepared = shared.prepare_rename("lib.mg", *pos(LIB, "twice", 2))
    assert prepared.placeholder == "twice" and prepared.range.start == lsp.Position(*pos(LIB,
                                                                                       "twice"))
    edit = shared.rename("lib.mg", *pos(LIB, "twice", 2), "double")
    assert sorted(Path(u).name for u in edit.changes) == ["lib.mg", "net.mg", "other.mg"]
    texts = _apply_workspace_edit(shared_workspace, edit)
    assert "block double(" in texts["lib.mg"] and "p = double(p, [c, c], k = 3)" in \
        texts["net.mg"] and "twice" not in texts["other.mg"]
    assert _stats(shared_workspace, texts) == _stats(shared_workspace, {})  # the same network


def test_rename_a_parameter_renames_the_keyword_arguments_of_calls(shared, shared_workspace):
    edit = shared.rename("net.mg", *pos(NET, "k = 3"), "size")
    texts = _apply_workspace_edit(shared_workspace, edit)
    assert texts["lib.mg"].count("size") == 3 and "block twice(p, ch, size = 3)" in texts["lib.mg"]
    assert "twice(p, [c, c], size = 3)" in texts["net.mg"]
    assert _stats(shared_workspace, texts) == _stats(shared_workspace, {})


def test_rename_a_variable_stays_in_its_block(shared, shared_workspace):
    edit = shared.rename("lib.mg", *pos(LIB, "q, ch"), "mid")
    assert list(edit.changes) == [(shared_workspace / "lib.mg").resolve().as_uri()]
    texts = _apply_workspace_edit(shared_workspace, edit)
    assert "mid = mgcbr(p, ch, k)" in texts["lib.mg"] and "mgcbr(mid, ch, k)" in texts["lib.mg"]
    assert _stats(shared_workspace, texts) == _stats(shared_workspace, {})


@pytest.mark.parametrize("where,new,reason", [
    ((NET, "sigmoid", 1), "sig", "built in"),
    ((NET, "stems", 1), "stem2", "standard library"),
    ((NET, "Tiny", 1), "Small", "networks"),
    ((LIB, "q = ", 0), "ch", "already a variable"),
    ((LIB, "twice", 1), "3x", "not a name"),
    ((LIB, "twice", 1), "network", "keyword"),
    ((LIB, "twice", 1), "conv", "built-in"),
])
def test_rename_refuses_with_a_reason(shared, where, new, reason):
    text, needle, offset = where
    path = "net.mg" if text is NET else "lib.mg"
    with pytest.raises(Exception, match=reason):
        shared.rename(path, *pos(text, needle, offset), new)


def test_rename_in_a_file_that_does_not_parse_is_refused(shared):
    shared.open("unparsable.mg", NET + "network {")
    with pytest.raises(Exception, match="does not parse"):
        shared.prepare_rename("unparsable.mg", *pos(NET, "twice"))
    shared.close("unparsable.mg")


# ---------------------------------------------------------------------- quick fixes


@pytest.mark.parametrize("old,new,fixed", [
    ("p = twice(p, [c, c], k = 3)", "p = twice(p, [c, c], kk = 3)", "k"),
    ("p = twice(p, [c, c], k = 3)", "p = twise(p, [c, c], k = 3)", "twice"),
    ("output out = sigmoid(cb(p[0], 1))", "output out = sigmoid(cb(pp[0], 1))", "p"),
    ("output out = sigmoid(cb(p[0], 1))", "output out = sigmod(cb(p[0], 1))", "sigmoid"),
], ids=["argument", "block", "variable", "builtin"])
def test_quick_fix_for_did_you_mean(shared, old, new, fixed):
    text = NET.replace(old, new)
    name = f"typo-{fixed}.mg"
    shared.open(name, text)
    (d,) = shared.wait_diagnostics(name)
    actions = shared.code_actions(name, [d])
    assert [a.title for a in actions][0].endswith(f"to `{fixed}`")
    action = actions[0]
    assert action.kind == lsp.CodeActionKind.QuickFix and list(action.diagnostics) == [d]
    (edits,) = action.edit.changes.values()
    fixed_text = apply(text, edits)
    assert fixed_text == NET
    v = shared.change(name, fixed_text)
    assert shared.wait_diagnostics(name, v) == []
    shared.close(name)


def test_quick_fix_adds_the_missing_use_of_the_standard_library(shared):
    text = NET.replace('use "std.mg"\n', "")
    shared.open("nostd.mg", text)
    diags = shared.wait_diagnostics("nostd.mg")
    (action,) = [a for d in diags for a in shared.code_actions("nostd.mg", [d])]
    assert action.title == 'Add `use "std.mg"`' and action.is_preferred
    (edits,) = action.edit.changes.values()
    v = shared.change("nostd.mg", apply(text, edits))
    assert shared.wait_diagnostics("nostd.mg", v) == []


def test_no_quick_fix_without_a_suggestion(shared):
    text = NET.replace("p = twice(p, [c, c], k = 3)", "p = zzzzzz(p)")
    shared.open("nofix.mg", text)
    (d,) = shared.wait_diagnostics("nofix.mg")
    assert d.code == "E201" and not shared.code_actions("nofix.mg", [d])


def test_rename_reaches_every_written_name_in_process(tmp_path):
    """`references` without a server: a network parameter used in a pyramid input's sizes,
    a `repeat ... as` counter and a slice assignment are all found."""
    from mgdsl.lsp.references import Sources, find_references, rename_edits, symbol_at

    text = ('network N(c = 16) {\n    input feats: pyramid [c x 16 x 16, c x 8 x 8]\n'
            '    p = feats\n    repeat 2 as i { p[0:1] = conv(p[0:1], c + i, 1) }\n'
            '    output y = p[0]\n}\n')
    path = str((tmp_path / "n.mg").resolve())
    sources = Sources(lambda p: text if p == path else None)
    symbol, _ = symbol_at(sources, path, 1, 11)  # the parameter `c`
    assert symbol.kind == "parameter" and symbol.owner == ("network", "N")
    keys = [o.key[:2] for _, o in find_references(sources, symbol)]
    assert keys == [(1, 11), (2, 27), (2, 40), (4, 43)]
    counter, _ = symbol_at(sources, path, 4, 17)  # `i` of `repeat 2 as i`
    assert [o.key[:2] for _, o in find_references(sources, counter)] == [(4, 17), (4, 47)]
    (edits,) = rename_edits(sources, symbol_at(sources, path, 3, 5)[0], "q").values()
    assert [k[:2] for k in edits] == [(3, 5), (4, 21), (4, 35), (5, 16)]
