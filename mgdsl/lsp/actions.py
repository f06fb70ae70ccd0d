"""Quick fixes (code actions) for mgdsl's diagnostics.

* "did you mean `x`?": replace the misspelt name inside the diagnostic's range with each
  suggestion (the only suggestion is the preferred fix);
* a standard-library block called without `use "std.mg"`: add that line at the top.

The fixes are read from the diagnostics the editor sends back (their range, message and
hint, as `features.diagnostics` wrote them) against the document's current text.

>>> d = lsp.Diagnostic(lsp.Range(lsp.Position(0, 4), lsp.Position(0, 13)),
...     "`conv` has no argument `strid`\\nhint: did you mean `stride`?", code="E202",
...     source="mgdsl")
>>> [(a.title, a.edit.changes["u"][0].new_text) for a in quick_fixes("u", "f(x, strid = 2)", d)]
[('Change `strid` to `stride`', 'stride')]
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable

from lsprotocol import types as lsp

from mgdsl.lsp.source import Lines

__all__ = ["quick_fixes", "suggestions", "register"]

_DID_YOU_MEAN = re.compile(r"did you mean (.+)\?")
_TICKED = re.compile(r"`([^`\s]+)`")
_ADD_STD = 'add `use "std.mg"`'


def suggestions(message: str) -> list[str]:
    """The names a "did you mean ..." hint in `message` suggests, in order."""
    for line in message.split("\n"):
        if line.startswith("hint:"):
            m = _DID_YOU_MEAN.search(line)
            if m:
                return _TICKED.findall(m.group(1))
    return []


def _text_in(lines: Lines, rng: lsp.Range) -> tuple[int, int, str]:
    """(0-based line, code-point column, text) of the first line of `rng`."""
    line = rng.start.line
    start = lines.from_client(line, rng.start.character)
    end = lines.from_client(line, rng.end.character) if rng.end.line == line \
        else len(lines.line(line))
    return line, start, lines.line(line)[start:end]


def quick_fixes(uri: str, text: str, diagnostic: lsp.Diagnostic,
                encoding: str = "utf-16") -> list[lsp.CodeAction]:
    """The code actions that fix `diagnostic` in document `uri` whose text is `text`."""
    if diagnostic.source != "mgdsl":
        return []
    message = diagnostic.message
    lines = Lines(text, encoding)
    if _ADD_STD in message:
        edit = lsp.TextEdit(lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)), 'use "std.mg"\n')
        return [_action('Add `use "std.mg"`', uri, [edit], diagnostic, True)]
    wanted = suggestions(message)
    if not wanted:
        return []
    line, start, inside = _text_in(lines, diagnostic.range)
    first = message.split("\n")[0]
    candidates = [w for w in _TICKED.findall(first) if w not in wanted and
                  re.search(rf"(?<!\w){re.escape(w)}(?!\w)", inside)]
    if not candidates:
        return []
    wrong = max(candidates, key=lambda w: max(
        difflib.SequenceMatcher(None, w, s).ratio() for s in wanted))
    m = re.search(rf"(?<!\w){re.escape(wrong)}(?!\w)", inside)
    col0, col1 = start + m.start(), start + m.end()
    rng = lsp.Range(lsp.Position(line, lines.to_client(line, col0)),
                    lsp.Position(line, lines.to_client(line, col1)))
    return [_action(f"Change `{wrong}` to `{s}`", uri, [lsp.TextEdit(rng, s)], diagnostic,
                    len(wanted) == 1) for s in wanted]


def _action(title: str, uri: str, edits: list[lsp.TextEdit], diagnostic: lsp.Diagnostic,
            preferred: bool) -> lsp.CodeAction:
    return lsp.CodeAction(title=title, kind=lsp.CodeActionKind.QuickFix,
                          diagnostics=[diagnostic], is_preferred=preferred,
                          edit=lsp.WorkspaceEdit(changes={uri: edits}))


def register(server, wrap: Callable) -> None:
    """Add `textDocument/codeAction` (quick fixes) to a `MgLanguageServer`."""

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
    @wrap
    def code_action(ls, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        only = params.context.only
        if only and not any(str(getattr(k, "value", k)).split(".")[0] == "quickfix"
                            for k in only):
            return []
        uri = params.text_document.uri
        text = ls.text(uri)
        out = []
        for diagnostic in params.context.diagnostics:
            out += quick_fixes(uri, text, diagnostic, ls.encoding)
        return out
