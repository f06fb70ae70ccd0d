"""Elaboration: a parsed program (`program`) and its values (`values`) are run by the
elaborator (`elaborate`), which calls the built-in functions (`primitives`) to add IR
nodes. The result is an unchecked `networkx.DiGraph` handed to `mgdsl.ir.validate`."""
