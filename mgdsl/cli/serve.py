"""`mgdsl serve FILE|DIR [--host H] [--port P] [--open]`: a live editor in the browser.

Serves a page with the `.mg` text beside its diagram, stats and errors, refreshed as you
type; Save (or Ctrl+S) writes the file atomically. Only `.mg` files under the folder it
was started on (the file's folder, for FILE) are read or written. It binds 127.0.0.1
unless `--host` says otherwise, and prints its address with a random access token that
every request must carry (as Jupyter does); through a tunnel, open the same address with
the tunnel's port.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mgdsl.errors import MgFileError

__all__ = ["register", "run"]

EPILOG = """\
Examples:
  mgdsl serve architectures/            # every .mg file of the folder, first one open
  mgdsl serve mynet.mg --port 9000      # one file (its folder is what may be opened)
  mgdsl serve . --open                  # also open the page in the default browser
  mgdsl serve . --host 0.0.0.0          # other machines too (they need the printed token)

Through SSH: `ssh -L 9000:localhost:8765 gpu-box`, then open the printed address with
port 9000 instead of 8765.
"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `serve` verb."""
    p = sub.add_parser(
        "serve", help="edit .mg files in the browser with a live diagram, stats and errors",
        description="Serve a local editor page: the .mg text beside its live Figure 3-style "
        "diagram, statistics and errors, updated as you type. Reads and writes only .mg "
        "files under the folder it was started on.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("target", metavar="FILE|DIR", help="a .mg file or a folder of them")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8765,
                   help="port to listen on (default 8765; 0 picks a free one)")
    p.add_argument("--render-limit", type=float, default=10.0, metavar="SECONDS",
                   help="stop Graphviz when one diagram takes longer (default 10)")
    p.add_argument("--open", action="store_true", help="open the page in a web browser")
    p.add_argument("--verbose", action="store_true", help="log every request to stderr")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted (Ctrl+C)."""
    from mgdsl.serve.server import make_server
    from mgdsl.serve.workspace import Workspace

    target = Path(args.target)
    if target.is_dir():
        root, first = target, None
    elif target.suffix == ".mg" and target.is_file():
        root, first = target.parent, target.name
    else:
        raise MgFileError(f"`{args.target}` is neither a folder nor a .mg file", code="E931",
                          hint="give a folder of .mg files or one .mg file")
    if not 0 <= args.port <= 65535:
        raise MgFileError(f"port {args.port} is out of range", code="E932",
                          hint="give a port from 1 to 65535, or 0 for any free one")
    if not args.render_limit > 0:
        raise MgFileError(f"--render-limit {args.render_limit:g} is not a positive number of "
                          "seconds", code="E982", hint="for example `--render-limit 30`")
    try:
        server = make_server(Workspace(root), host=args.host, port=args.port, first=first,
                             quiet=not args.verbose, render_limit=args.render_limit)
    except OSError as exc:
        raise MgFileError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
                          code="E932", hint="choose another port with --port, or 0") from None
    if not server.access.loopback_only:
        print(f"note: serving on {args.host}: other machines that have the address below "
              "(with its token) may read and change the .mg files of this folder",
              file=sys.stderr)
    print(f"mgdsl serve: {server.token_url} (folder {server.workspace.root}; Ctrl+C stops)",
          file=sys.stderr, flush=True)
    if args.open:
        import webbrowser

        webbrowser.open(server.token_url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        server.server_close()
    return 0
