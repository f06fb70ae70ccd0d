"""Elaboration: a parsed program (`program`) and its values (`values`) are run by the
elaborator (`elaborate`), which calls the built-in functions (`primitives`) to add IR
nodes. The result is an unchecked `networkx.DiGraph` handed to `mgdsl.ir.validate`."""

# the built-ins of issue 23's ops register themselves on import, after the paper's
from mgdsl.elab import tensor_ops  # noqa: E402,F401
