"""The `.mg` language server (`mgdsl lsp`): diagnostics, hover with shapes, navigation.

Layers, each usable without the next: `analysis` (text -> diagnostics and the value of
every expression, no LSP types), `source` (positions, names and scopes read from the
text), `names` (every name a parsed file writes and what it refers to), `project` (which
open document reads which file, and where its problems lie), `features` (hover,
definition, completion, symbols, formatting as LSP types), `references` (references and
rename across files), `actions` (quick fixes), `wire` (strict framing, an answer to every
request) and `server` (the pygls server speaking LSP over stdio). Only `features`,
`references`, `actions`, `wire` and `server` import pygls or lsprotocol, and only
`mgdsl lsp` imports them.
"""
