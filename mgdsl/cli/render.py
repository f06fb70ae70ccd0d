"""`mgdsl render FILE|NAME [-o out.svg|.png|.pdf|.dot|.tex] [--collapse] [--wrap IN] [--block NAME]`:
draw a network like the paper's Figure 3 (a standard block like Figure 2 with --block).

Without `-o` the DOT text goes to stdout. `.dot` and `.tex` (TikZ, a standalone LaTeX
document, or with `--tikz-body` only the `tikzpicture`) need no Graphviz; the other
formats need its `dot` program, and fail with one line saying how to install it when it
is missing.
"""

from __future__ import annotations

import argparse
import sys

from mgdsl.cli.common import add_input_argument, add_target_args, load_ir
from mgdsl.diagrams.layout import WRAP
from mgdsl.oserrors import os_errors

__all__ = ["register", "run"]

EPILOG = """\
Examples:
  mgdsl render PMG-11-seg -o pmg11.svg
  mgdsl render R-PMG-44 --collapse -o rpmg44.png
  mgdsl render examples/bifpn.mg --collapse --wrap 18 -o bifpn.png  # narrower strips
  mgdsl render architectures/mg.mg --set n=1 -o mg6.pdf
  mgdsl render --block resmg -o resmg.png
  mgdsl render PMG-11-seg -o pmg11.tex                 # TikZ: pdflatex pmg11.tex
  mgdsl render PMG-11-seg --tikz-body -o fig/pmg11.tex # \\input{fig/pmg11} in a paper
"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `render` verb."""
    p = sub.add_parser(
        "render", help="draw a network like the paper's Figure 3 (svg, png, pdf, dot, tex)",
        description="Draw a network: depth left to right, pyramid levels bottom (finest) to "
        "top (coarsest), one box per grid labelled with its channels, coloured by section.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_target_args(p)
    add_input_argument(p, "draw")
    for action in p._actions:  # FILE|NAME may be left out with --block
        if action.dest == "target":
            action.nargs, action.default = "?", None
    p.add_argument("-o", "--output", metavar="OUT",
                   help="where to write: .svg, .png, .pdf, .dot or .tex (TikZ) "
                   "(default: DOT to stdout)")
    p.add_argument("--format", choices=("dot", "svg", "png", "pdf", "tex"),
                   help="the format, when OUT's suffix does not say it")
    p.add_argument("--collapse", action="store_true",
                   help="fold repeated structure (layers, blocks, modules) into one copy "
                   "marked ×N, at every level")
    p.add_argument("--wrap", type=_inches, default=WRAP, metavar="INCHES",
                   help=f"wrap a drawing wider than this into strips stacked top to bottom, "
                   f"joined by lettered connectors (default {WRAP:g}, about 2,500 px; "
                   f"0 never wraps)")
    p.add_argument("--tikz-body", action="store_true",
                   help="with .tex: write only the tikzpicture (to \\input into a paper "
                   "that loads TikZ), not a standalone document")
    p.add_argument("--block", metavar="NAME",
                   help="draw a standard-library block expanded (e.g. mgconv, resmg)")
    p.add_argument("--expand", action="store_true",
                   help="draw every IR node as its own box (no folding of bn/relu/pooling)")
    p.set_defaults(func=run, _parser=p)


def _inches(text: str) -> float:
    """A width in inches for `--wrap`: a number, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of inches: {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be 0 (never wrap) or a width in inches, "
                                         f"not {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    """Draw the named network or block; write it to `-o` or print the DOT text."""
    from mgdsl.diagrams.diagram import dot_source, draw, render, tikz_source

    if args.block is not None and args.target is not None:
        args._parser.error("give either a network or --block, not both")
    ir = load_ir(args) if args.target is not None else None
    if args.tikz_body and args.output is None and args.format in (None, "tex"):
        sys.stdout.write(tikz_source(ir, collapse=args.collapse, block=args.block,
                                     expand=args.expand, body=True, wrap=args.wrap))
        return 0
    if args.output is None and args.format == "tex":
        sys.stdout.write(tikz_source(ir, collapse=args.collapse, block=args.block,
                                     expand=args.expand, wrap=args.wrap))
        return 0
    if args.output is None and args.format not in (None, "dot"):
        source = dot_source(ir, collapse=args.collapse, block=args.block, expand=args.expand,
                            wrap=args.wrap)
        sys.stdout.buffer.write(draw(source, args.format))
        return 0
    if args.output is None:
        source = render(ir, fmt=args.format, collapse=args.collapse, block=args.block,
                        expand=args.expand, tikz_body=args.tikz_body, wrap=args.wrap)
    else:  # Graphviz's own failures are coded inside; what is left is the write
        with os_errors(args.output, action="write", what="the drawing", given=args.output):
            source = render(ir, args.output, fmt=args.format, collapse=args.collapse,
                            block=args.block, expand=args.expand, tikz_body=args.tikz_body,
                            wrap=args.wrap)
    if args.output is None:
        sys.stdout.write(source)
    else:
        print(f"wrote {args.output}", file=sys.stderr)
    return 0
