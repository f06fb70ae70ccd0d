"""Cost tables (`mgdsl.analyses.cost`): weights shared across levels in a row of their own."""

from __future__ import annotations

from paths import ROOT

import mgdsl
from mgdsl.analyses.cost import SHARED_LEVELS, cost_of

SHARED = '''network N() {
    input p: pyramid [4 x 16 x 16, 4 x 8 x 8]
    q = conv(p, 6, 3, shared = true)
    output a = q[0]
    output b = q[1]
}'''


def test_weights_shared_across_levels_are_a_row_of_their_own() -> None:
    cost = cost_of(mgdsl.build_graph(SHARED))
    weights = 6 * 4 * 9 + 6
    assert cost.params == weights
    assert cost.by_level[SHARED_LEVELS] == [weights, 0]
    assert cost.by_level["0"] == [0, 6 * 16 * 16 * 4 * 9]
    assert cost.by_level["1"] == [0, 6 * 8 * 8 * 4 * 9]
    assert list(cost.by_level)[-1] == SHARED_LEVELS


def test_the_level_rows_add_up_to_the_totals() -> None:
    for target in (ROOT / "tests" / "data" / "unseen" / "fcos_head.mg", "PMG-11-seg",
                   ROOT / "examples" / "retinanet_head.mg"):
        cost = cost_of(mgdsl.load(target))
        assert sum(p for p, _ in cost.by_level.values()) == cost.params
        assert sum(m for _, m in cost.by_level.values()) == cost.macs
    assert SHARED_LEVELS not in cost_of(mgdsl.load("PMG-11-seg")).by_level
