"""The `.mg` language server (`mgdsl lsp`): diagnostics, hover with shapes, navigation.

Layers, each usable without the next: `analysis` (text -> diagnostics and the value of
every expression, no LSP types), `source` (positions, names and scopes read from the
text), `features` (hover, definition, completion, symbols, formatting as LSP types) and
`server` (the pygls server speaking LSP over stdio). Only `features` and `server` import
pygls, and only `mgdsl lsp` imports them.
"""
