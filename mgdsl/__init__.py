"""mgdsl: a declarative architecture-graph compiler for multigrid neural networks."""

__version__ = "0.1.0"
