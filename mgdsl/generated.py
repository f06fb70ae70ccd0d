"""Generated sections of Markdown pages: the text between two marker lines is rewritten by
the code that owns it (`python -m mgdsl.reference docs/language.md`, `python -m mgdsl.ops
docs/ops.md`), the rest of the page is left as written."""

from __future__ import annotations

from pathlib import Path

__all__ = ["rewrite_section"]


def rewrite_section(path: Path, begin: str, end: str, section: str) -> bool:
    """Replace the lines from `begin` to `end` (markers included) of the Markdown file
    `path` with `section`; True if the file changed."""
    text = path.read_text(encoding="utf-8")
    start, stop = text.index(begin), text.index(end) + len(end) + 1
    new = text[:start] + section + text[stop:]
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text
