# E981: a check that waited longer than the editor's limit for its turn is given up
from pathlib import Path

from mgdsl.serve.analysis import ONE_AT_A_TIME, Checker
from mgdsl.serve.workspace import Workspace

Path("net.mg").write_text("network N() {\n    input x: 1 x 8 x 8\n    output y = relu(x)\n}\n")
checker = Checker(Workspace(Path(".")), check_limit=0.05)
with ONE_AT_A_TIME:  # another client's check holds the turn
    checker.wait_turn("net.mg")
