"""Elaboration: a parsed program (`program`) and its values (`values`) are run by the
elaborator (`elaborate`), which calls the built-in functions (`primitives`) to add IR
nodes. The result is an unchecked `networkx.DiGraph` handed to `mgdsl.ir.validate`."""

# built-ins defined in modules of their own register themselves when imported; importing
# them here, with the package, registers them before any `mgdsl.elab` module is used
from mgdsl.elab import attention as _attention  # noqa: E402,F401
from mgdsl.elab import tensor_ops as _tensor_ops  # noqa: E402,F401  (issue 23's ops)
