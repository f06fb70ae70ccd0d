"""Hypothesis strategies for random `.mg` programs: valid ones built by construction, and
broken ones made by mutating them.

The generator itself lives in `mgdsl.testing.fuzz` (`ProgramGen`, `mutate`) so that the fuzzing
entry point and these strategies write the same programs; here it is driven by
Hypothesis' `draw`, so failing examples shrink.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from hypothesis import strategies as st

from mgdsl.testing.fuzz import HOSTILE_NAMES, Generated, ProgramGen, mutate

__all__ = ["DrawChooser", "valid_programs", "mutated_programs", "random_bytes",
           "hostile_names", "Generated"]

T = TypeVar("T")


class DrawChooser:
    """A `mgdsl.testing.fuzz.Chooser` whose decisions are Hypothesis draws."""

    def __init__(self, draw) -> None:
        self.draw = draw

    def int(self, lo: int, hi: int) -> int:
        """An integer in [lo, hi]."""
        return self.draw(st.integers(lo, hi))

    def choice(self, seq: Sequence[T]) -> T:
        """One element of `seq`."""
        return self.draw(st.sampled_from(list(seq)))

    def bool(self) -> bool:
        """True or False."""
        return self.draw(st.booleans())


@st.composite
def valid_programs(draw, max_levels: int = 5, max_size: int = 32, max_stmts: int = 6) -> Generated:
    """A random valid program (1-`max_levels` pyramid levels, inputs up to
    `max_size` x `max_size`, channels up to 8 per statement) with its output shapes."""
    gen = ProgramGen(DrawChooser(draw), max_levels=max_levels, max_size=max_size,
                     max_stmts=max_stmts)
    return gen.program()


@st.composite
def mutated_programs(draw) -> bytes:
    """The bytes of a valid program after one to three random edits (see `mutate`)."""
    program = draw(valid_programs(max_stmts=4))
    return mutate(DrawChooser(draw), program.text)


def random_bytes() -> st.SearchStrategy[bytes]:
    """Arbitrary bytes, some of them decoding as UTF-8 and some not."""
    return st.one_of(st.binary(max_size=200),
                     st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))


def hostile_names() -> st.SearchStrategy[str]:
    """Names that would be dangerous if pasted into Python: builtins, dunders,
    keywords, module names, Unicode letters."""
    return st.sampled_from(HOSTILE_NAMES)
