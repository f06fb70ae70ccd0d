"""On-demand benchmarks of mgdsl against hand-written PyTorch (`python -m benchmarks.run`).

Every number they report is a ratio or a rate measured side by side in one run: the
variants of a comparison are timed in interleaved rounds and compared by their medians,
with warm-up rounds excluded. See docs/benchmarks.md for the latest table.
"""
