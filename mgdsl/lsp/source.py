"""What the text says around a position, read from the text itself (no parse needed).

An editor asks for completions while the text is half typed and does not parse, so
scopes, the call being written and the word under the cursor are found by scanning the
lines. Positions: LSP counts 0-based lines and UTF-16 code units; spans count 1-based
lines and code points. `Lines` converts between the two (or UTF-8 / UTF-32 units, when
client and server agreed on those).

>>> lines = Lines('block b(p, ch) {\\n    q = cbr(p, ch)\\n    return conv(q, ')
>>> lines.word_at(1, 9)
'cbr'
>>> lines.enclosing_call(2, 20)
('conv', 1)
>>> lines.scope_names(2, 20)
['p', 'ch', 'q']
"""

from __future__ import annotations

import re

__all__ = ["Lines", "WORD", "HEADER", "TARGET", "INPUT", "REPEAT_VAR", "units"]

WORD = re.compile(r"(?!\d)\w+")
HEADER = re.compile(r"^\s*(block|network)\s+(\w+)\s*\(([^)]*)\)?")
TARGET = re.compile(r"^\s*((?!\d)\w+)\s*(?:\[[^\]]*\])?\s*=(?!=)")
INPUT = re.compile(r"^\s*input\s+((?!\d)\w+)")
REPEAT_VAR = re.compile(r"\brepeat\b.*\bas\s+((?!\d)\w+)")


def units(text: str, encoding: str = "utf-16") -> int:
    """The length of `text` in the code units LSP positions count (UTF-16 by default)."""
    if encoding == "utf-32":
        return len(text)
    if encoding == "utf-8":
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


class Lines:
    """A buffer split into lines, with position conversions and text scans."""

    def __init__(self, text: str, encoding: str = "utf-16") -> None:
        self.text = text
        self.lines = text.split("\n")
        self.encoding = encoding

    def line(self, n: int) -> str:
        """0-based line `n` without its end of line ('' past the end)."""
        return self.lines[n].rstrip("\r") if 0 <= n < len(self.lines) else ""

    def to_client(self, line: int, col: int) -> int:
        """0-based code-point column `col` of 0-based `line` -> LSP character offset."""
        return units(self.line(line)[:col], self.encoding)

    def from_client(self, line: int, character: int) -> int:
        """LSP `character` offset on 0-based `line` -> 0-based code-point column."""
        text, count = self.line(line), 0
        for i, ch in enumerate(text):
            if count >= character:
                return i
            count += units(ch, self.encoding)
        return len(text)

    def word_at(self, line: int, col: int) -> str | None:
        """The name under (or just before) 0-based `line:col`, or None."""
        span = self.word_span(line, col)
        return self.line(line)[span[0]:span[1]] if span else None

    def word_span(self, line: int, col: int) -> tuple[int, int] | None:
        """0-based `[start, end)` columns of the name under `line:col`, or None."""
        for m in WORD.finditer(self.line(line)):
            if m.start() <= col <= m.end():
                return m.start(), m.end()
        return None

    def prefix(self, line: int, col: int) -> str:
        """The text of `line` before `col`, from the start of the line."""
        return self.line(line)[:col]

    def _before(self, line: int, col: int) -> str:
        return "\n".join([self.line(i) for i in range(line)] + [self.prefix(line, col)])

    def enclosing_call(self, line: int, col: int) -> tuple[str, int] | None:
        """(function name, index of the argument being written) of the innermost call
        whose `(` is open at `line:col`, or None outside any call."""
        text = _strip_comments_and_strings(self._before(line, col))
        depth, commas = 0, [0]
        for i in range(len(text) - 1, -1, -1):
            ch = text[i]
            if ch in ")]":
                depth += 1
            elif ch in "([":
                if depth == 0:
                    if ch == "[":
                        commas = [0]
                        continue
                    m = re.search(r"((?!\d)\w+)\s*$", text[:i])
                    return (m.group(1), commas[0]) if m else None
                depth -= 1
            elif ch == "," and depth == 0:
                commas[0] += 1
            elif ch in "{}" and depth == 0:
                return None
        return None

    def enclosing_def(self, line: int) -> tuple[str, str, int] | None:
        """(`block`/`network`, name, 0-based header line) of the definition around `line`.

        The nearest header at or above `line` whose body is still open there."""
        depth = 0
        for n in range(line, -1, -1):
            text = _strip_comments_and_strings(self.line(n))
            if n == line:
                text = ""  # braces on the cursor's own line do not close the scope
            depth += text.count("}") - text.count("{")
            m = HEADER.match(self.line(n))
            if m:
                return (m.group(1), m.group(2), n) if depth < 0 or n == line else None
        return None

    def definitions(self, line: int) -> list[tuple[str, int, int]]:
        """(name, 0-based line, column) of each variable defined in the definition around
        `line`, above it, in order: its parameters, then assignments, `input`s and
        `repeat ... as` names."""
        found = self.enclosing_def(line)
        if found is None:
            return []
        start = found[2]
        out: list[tuple[str, int, int]] = []
        header = HEADER.match(self.line(start))
        if header and header.group(3):
            for col in _top_level_starts(header.group(3)):
                m = WORD.match(header.group(3), col)
                if m:
                    out.append((m.group(0), start, header.start(3) + m.start()))
        for n in range(start + 1, line):
            out += self.defined_on(n)
        return out

    def defined_on(self, line: int) -> list[tuple[str, int, int]]:
        """(name, line, column) of the variables the statements on `line` define."""
        out = []
        text, start = self.line(line), 0
        for brace in [*re.finditer(r"[{}]", text), None]:
            end = brace.start() if brace else len(text)
            part = text[start:end]
            for pattern in (TARGET, INPUT, REPEAT_VAR):
                m = pattern.search(part) if pattern is REPEAT_VAR else pattern.match(part)
                if m:
                    out.append((m.group(1), line, start + m.start(1)))
            start = end + 1
        return out

    def scope_names(self, line: int, col: int) -> list[str]:
        """Variables visible at `line`: the enclosing definition's parameters and the
        names defined above the cursor's line."""
        return list(dict.fromkeys(name for name, _, _ in self.definitions(line)))


def _top_level_starts(params: str) -> list[int]:
    """Where each comma-separated item of a parameter list starts (commas inside
    brackets of a default value do not separate)."""
    starts, depth = [0], 0
    for i, ch in enumerate(params):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            starts.append(i + 1)
    return [s + len(params[s:]) - len(params[s:].lstrip()) for s in starts]  # skip spaces


def _strip_comments_and_strings(text: str) -> str:
    """`text` with comments and string contents blanked (same length, brackets ignored)."""
    return re.sub(r'#[^\n]*|"[^"\n]*"?', lambda m: " " * len(m.group(0)), text)
