"""Draw the gallery: docs/gallery/*.png and docs/gallery.md, from the zoo's paper networks,
two standard blocks, every network in examples/ and the diagram test networks.

    .venv/bin/python scripts/gallery.py        # needs Graphviz's `dot`

Wide networks (more than `WIDE` columns) are drawn with `collapse=True`. The notes in
docs/gallery.md under "What looking changed" are written by hand: keep them when
re-running (the script rewrites only the part between the markers).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import mgdsl  # noqa: E402
from mgdsl.compilation import Compilation  # noqa: E402
from mgdsl.diagrams.diagram import render  # noqa: E402
from mgdsl.diagrams.layers import build_view  # noqa: E402

OUT = ROOT / "docs" / "gallery"
PAGE = ROOT / "docs" / "gallery.md"
WIDE = 30
BEGIN, END = "<!-- gallery:begin -->", "<!-- gallery:end -->"

PAPER = ["MG-16", "PMG-11-seg", "R-PMG-20-seg", "R-PMG-44", "U-NET-11-seg", "U-MG-11-seg",
         "SG-11-seg", "R-SG-20-seg", "VGG-11", "RES-12", "R-MG-34"]
BLOCKS = ["mgconv", "resmg"]


def _slug(text: str) -> str:
    return "".join(c.lower() if c.isalnum() else "-" for c in text).strip("-")


def _draw(ir, name: str) -> tuple[str, bool]:
    collapse = len(build_view(ir).columns) > WIDE
    path = OUT / f"{_slug(name)}.png"
    render(ir, path, collapse=collapse)
    return path.relative_to(ROOT / "docs").as_posix(), collapse


def _files(folder: Path) -> list[tuple[str, object]]:
    out = []
    for path in sorted(folder.glob("**/*.mg")):
        compilation = Compilation(path)
        if compilation.errors:
            raise compilation.errors[0]
        for name in compilation.networks:
            ir = compilation.ir(name)
            out.append((f"{path.relative_to(ROOT).as_posix()}: {name}", ir))
    return out


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    lines = [BEGIN, "", "## The paper's networks", ""]
    for name in PAPER:
        png, folded = _draw(mgdsl.load(name), name)
        lines += [f"### {name}{' (collapsed)' if folded else ''}", "", f"![{name}]({png})", ""]
    lines += ["## Standard blocks, every op drawn (`--block`)", ""]
    for name in BLOCKS:
        path = OUT / f"block-{name}.png"
        render(None, path, block=name)
        lines += [f"### {name}", "", f"![{name}](gallery/{path.name})", ""]
    for title, folder in (("Networks from other papers (`examples/`)", ROOT / "examples"),
                          ("Diagram test networks (`tests/data/nets/`)",
                           ROOT / "tests" / "data" / "nets")):
        entries = _files(folder)
        if not entries:
            continue
        lines += [f"## {title}", ""]
        for label, ir in entries:
            png, folded = _draw(ir, label.replace("/", "-"))
            lines += [f"### {label}{' (collapsed)' if folded else ''}", "",
                      f"![{label}]({png})", ""]
    lines.append(END)
    text = PAGE.read_text(encoding="utf-8") if PAGE.exists() else "# Gallery\n\n" + BEGIN + END
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    PAGE.write_text(head + "\n".join(lines) + tail, encoding="utf-8")
    print(f"wrote {PAGE.relative_to(ROOT)} and {len(list(OUT.glob('*.png')))} pictures")


if __name__ == "__main__":
    main()
