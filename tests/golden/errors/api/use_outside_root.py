# E930: with a served root, a `use` may not leave it (the editor's guard; no CLI verb has it)
from pathlib import Path

from mgdsl.elab.program import load_program

Path("served").mkdir()
Path("outside.mg").write_text("block b(p) { return p }\n")
Path("served/net.mg").write_text('use "../outside.mg"\n'
                                 "network N() {\n    input image: 1 x 8 x 8\n"
                                 "    output y = b(image)\n}\n")
load_program("served/net.mg", root="served")
