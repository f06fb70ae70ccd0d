# E980: `mgdsl serve` stops a Graphviz that runs past its limit (here a stand-in that sleeps)
import os
import stat
from pathlib import Path

from mgdsl.serve.render import render_svg

slow = Path("slow-dot")
slow.write_text("#!/bin/sh\nexec sleep 30\n")
slow.chmod(slow.stat().st_mode | stat.S_IXUSR)
render_svg("digraph G { a -> b }", limit=0.2, dot=os.path.abspath(slow))
