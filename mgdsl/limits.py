"""Resource limits checked before anything large is built.

Every limit is an attribute of the module-level `LIMITS`; raise one for a session with
`mgdsl.limits.LIMITS.max_nodes = 500_000`, or temporarily with `LIMITS.override(...)`.
Exceeding a limit raises `MgLimitError` (codes E5xx) pointing at the offending text.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, fields


@dataclass
class Limits:
    """The configurable limits of the front end (defaults fit every paper network 10x over)."""

    max_file_chars: int = 200_000        # characters in one .mg file (parsing: ~40k/s)
    max_nesting: int = 64                # depth of nested expressions / brackets
    max_repeat: int = 100_000            # iterations of one `repeat`
    max_steps: int = 1_000_000           # statements + expression nodes + list items evaluated
    max_call_depth: int = 32             # nested block calls
    max_nodes: int = 20_000              # IR nodes in one network (~1.6 KB, ~0.1 ms each)
    max_channels: int = 65_536           # channels of one grid
    max_resolution: int = 16_384         # height or width of one grid
    max_levels: int = 16                 # grids in one pyramid
    max_params: int = 1_000_000_000      # parameters of one network (compile allocates 4 B each)
    max_use_depth: int = 32              # nested `use` includes

    @contextlib.contextmanager
    def override(self, **changes: int):
        """Temporarily change some limits: `with LIMITS.override(max_nodes=10): ...`."""
        names = {f.name for f in fields(self)}
        unknown = set(changes) - names
        if unknown:
            raise AttributeError(f"unknown limit(s): {', '.join(sorted(unknown))}")
        saved = {k: getattr(self, k) for k in changes}
        for k, v in changes.items():
            setattr(self, k, v)
        try:
            yield self
        finally:
            for k, v in saved.items():
                setattr(self, k, v)


LIMITS = Limits()
