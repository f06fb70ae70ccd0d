"""`mgdsl serve`: a live editor in the browser, served from this machine.

The page shows a `.mg` file beside its Figure 3-style diagram, its statistics and its
errors, all refreshed as the text changes; saving writes the file atomically. The parts:
`workspace` (which files may be read and written: `.mg` files under one folder),
`analysis` (text -> diagnostics, diagram and stats, as JSON-able data), `server` (the
HTTP endpoints and their request rules) and `static/` (the page itself).
"""
