"""What the editor asks about a text besides its check: hover, completion, and the
token table its syntax highlighting runs on.

Hover and completion are the language server's (`mgdsl.lsp.features`), run on the
unsaved text; so the page and `mgdsl lsp` answer alike. Neither may read files outside
the workspace: a text whose `use`s leave it gets no answer (its check reports E930).
The token table is `mgdsl.syntax.highlight.MgLexer`'s, exported as JSON-able rules, so
the page, Pygments and the TextMate grammar's tests share one definition of the tokens.
"""

from __future__ import annotations

import inspect
import re
import threading
from collections import OrderedDict
from typing import Any

from mgdsl.serve.analysis import ONE_AT_A_TIME
from mgdsl.serve.workspace import Workspace

__all__ = ["Assistant", "token_table"]

_USE = re.compile(r'^\s*use\s+"[^"\n]*"')
_KINDS = {"Function": "function", "Variable": "variable", "Keyword": "keyword",
          "Property": "property", "Class": "class", "Constant": "constant"}


def token_table() -> dict[str, Any]:
    """MgLexer's states as `{"flags": ..., "states": {name: [rule, ...]}}`; a rule is
    `{"regex": str, "tokens": [token type, ...], "next": [state or "#pop", ...]}` with
    one token type per regex group (`bygroups`) or one for the whole match; includes
    are expanded."""
    from mgdsl.syntax.highlight import MgLexer

    def rules(state: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for rule in MgLexer.tokens[state]:
            if isinstance(rule, str):  # pygments' `include`
                out += rules(str(rule))
                continue
            regex, action, *rest = rule
            if callable(action) and not hasattr(action, "split"):
                groups = inspect.getclosurevars(action).nonlocals["args"]
                types = [".".join(t[:]) or "Text" for t in groups]
                whole = False
            else:
                types, whole = [".".join(action[:]) or "Text"], True
            nxt = rest[0] if rest else None
            out.append({"regex": regex, "tokens": types, "whole": whole,
                        "next": [nxt] if isinstance(nxt, str) else list(nxt or [])})
        return out

    return {"flags": "m", "states": {name: rules(name) for name in MgLexer.tokens}}


class Assistant:
    """Hover and completion on unsaved texts, with the last few analyses kept."""

    def __init__(self, workspace: Workspace, keep: int = 8) -> None:
        self.workspace = workspace
        self._cache: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._keep = keep
        self._guard = threading.Lock()

    def _uses_stay_inside(self, path, text: str) -> bool:
        from mgdsl.compilation import Compilation

        uses = "\n".join(line for line in text.split("\n") if _USE.match(line))
        loaded = Compilation(path, text=uses, root=self.workspace.root)
        return not any(e.code == "E930" for e in loaded.errors)

    def _analysis(self, rel: str, text: str):
        from mgdsl.lsp.analysis import analyse

        key = (rel, text)
        with self._guard:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        path = self.workspace.resolve(rel)
        with ONE_AT_A_TIME:
            found = analyse(text, path) if self._uses_stay_inside(path, text) else None
        with self._guard:
            self._cache[key] = found
            while len(self._cache) > self._keep:
                self._cache.popitem(last=False)
        return found

    def hover(self, rel: str, text: str, line: int, character: int) -> dict[str, Any]:
        """`{"markdown": str | None, "from": [line, ch], "to": [line, ch]}` for the
        0-based `line` and UTF-16 `character` (as CodeMirror counts)."""
        from lsprotocol import types as lsp

        from mgdsl.lsp.features import hover

        analysis = self._analysis(rel, text)
        found = None
        if analysis is not None:
            found = hover(analysis, lsp.Position(line, character))
        if found is None:
            return {"markdown": None}
        out: dict[str, Any] = {"markdown": found.contents.value}
        if found.range is not None:
            out["from"] = [found.range.start.line, found.range.start.character]
            out["to"] = [found.range.end.line, found.range.end.character]
        return out

    def complete(self, rel: str, text: str, line: int, character: int) -> dict[str, Any]:
        """`{"items": [{"label", "type", "detail", "apply"}]}` at the position."""
        from lsprotocol import types as lsp

        from mgdsl.lsp.features import completion

        analysis = self._analysis(rel, text)
        if analysis is None:
            return {"items": []}
        found = completion(analysis, lsp.Position(line, character))
        items = []
        for item in found.items:
            kind = item.kind.name if item.kind is not None else ""
            rank = (item.sort_text or "9")[0]  # the server sorts arguments, names, blocks, ...
            items.append({"label": item.label, "type": _KINDS.get(kind, "text"),
                          "detail": item.detail or "", "apply": item.insert_text or item.label,
                          "boost": -int(rank) if rank.isdigit() else -9})
        return {"items": items}
