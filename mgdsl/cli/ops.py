"""`mgdsl ops [NAME...]` and `mgdsl blocks [NAME...]`: the built-in functions and the
standard blocks, with signature, shape rule and a worked example (`mgdsl.reference`)."""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import textwrap

WIDTH = 100


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `ops` and `blocks` verbs."""
    for verb, what, func in (("ops", "the built-in functions", run_ops),
                             ("blocks", "the standard blocks of std.mg", run_blocks)):
        p = sub.add_parser(verb, help=f"list {what} with signatures and examples",
                           description=f"List {what}: signature with defaults, what it does, "
                                       "its shape rule and an example with its result "
                                       "(docs/language.md has the same reference).")
        p.add_argument("names", nargs="*", metavar="NAME", help="only these")
        p.add_argument("--short", action="store_true", help="one line each")
        p.set_defaults(func=func)


def run_ops(args: argparse.Namespace) -> int:
    """Print the built-in functions."""
    from mgdsl.reference import EXAMPLE_SETUP, op_entries

    return _print(op_entries(), args, "built-in function", EXAMPLE_SETUP)


def run_blocks(args: argparse.Namespace) -> int:
    """Print the standard blocks."""
    from mgdsl.reference import EXAMPLE_SETUP, block_entries

    return _print(block_entries(), args, "standard block", EXAMPLE_SETUP)


def _first_sentence(text: str) -> str:
    """`text` up to the end of its first sentence, without the full stop."""
    first = re.split(r"(?<=\w)\.\s", text, maxsplit=1)[0]
    return first[:-1] if first.endswith(".") and not first.endswith("...") else first


def _print(entries, args: argparse.Namespace, what: str, setup) -> int:
    by_name = {e.name: e for e in entries}
    for name in args.names:
        if name not in by_name:
            close = difflib.get_close_matches(name, by_name, n=1)
            hint = f"; did you mean `{close[0]}`?" if close else ""
            print(f"mgdsl: no {what} `{name}`{hint}", file=sys.stderr)
            return 2
    chosen = [by_name[n] for n in args.names] if args.names else entries
    if args.short:
        width = max(len(e.name) for e in chosen) + 2
        for e in chosen:
            print(textwrap.fill(_first_sentence(e.summary), WIDTH,
                                initial_indent=f"{e.name:<{width}}",
                                subsequent_indent=" " * width))
        return 0
    print("Examples read " + "; ".join(setup) + ".\n")
    for e in chosen:
        print(e.signature)
        for label, text in (("", e.summary), *((f"{a}: ", d) for a, d in e.args),
                            ("shape: ", e.shape)):
            if text:
                print(textwrap.fill(label + text, WIDTH, initial_indent="    ",
                                    subsequent_indent="    " + " " * len(label)))
        print(f"    e.g.   {e.example}  ->  {e.result}\n")
    return 0
