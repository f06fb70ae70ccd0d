"""`mgdsl lsp`: the language server, speaking LSP over stdin/stdout (for editors)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `lsp` verb."""
    p = sub.add_parser("lsp", help="run the language server over stdio (editors start it)",
                       description="Language server for .mg files: diagnostics, hover with "
                                   "grid shapes, go to definition, completion, outline and "
                                   "formatting. An editor starts it; it reads LSP on stdin "
                                   "and answers on stdout.")
    p.add_argument("--stdio", action="store_true",
                   help="accepted for editors that pass it; stdio is the only transport")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve until the client exits."""
    from mgdsl.lsp.server import main

    return main()
