"""Replay every saved crash input in `tests/regressions/`.

Each `*.input` there is an input (raw bytes; not `.mg`, so that repository-wide
`.mg` checks skip it) that once crashed, hung or misbehaved (saved by
`python -m mgdsl.testing.fuzz` or written by hand); `mgdsl.testing.fuzz.check_bytes` must now find
nothing wrong with it. A file whose first line is `# expect: valid`, `# expect: CODE` or
`# expect: CODE at LINE:COL` must also build, or fail with that code (at that place).
Work limits are lowered while replaying, so that inputs which once ran away stop early.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from paths import TESTS

import mgdsl
from mgdsl.errors import MgError, flatten_errors
from mgdsl.limits import LIMITS
from mgdsl.testing.fuzz import CheckOptions, check_bytes

REGRESSIONS = sorted((TESTS / "regressions").glob("*.input"))
EXPECT = re.compile(r"# expect: (valid|E\d{3})(?: at (\d+):(\d+))?")


@pytest.mark.parametrize("path", REGRESSIONS, ids=lambda p: p.name)
def test_saved_input_no_longer_misbehaves(path: Path) -> None:
    data = path.read_bytes()
    # lower work limits: inputs that once ran away reach them sooner, for the same codes
    with LIMITS.override(max_nodes=5_000, max_steps=200_000):
        _replay(data)


def _replay(data: bytes) -> None:
    finding = check_bytes(data, CheckOptions(front_seconds=5.0, hang_seconds=30.0))
    assert finding is None, f"{finding.stage}: {finding.message}\n{finding.detail}"
    match = EXPECT.match(data.decode("utf-8", "replace"))
    if match is None:
        return
    text = data.decode("utf-8")
    if match[1] == "valid":
        mgdsl.build_graph(text)
        return
    with pytest.raises(MgError) as info:
        mgdsl.build_graph(text)
    first = flatten_errors(info.value)[0]
    assert first.code == match[1], str(info.value)
    if match[2]:
        assert (first.span.line, first.span.col) == (int(match[2]), int(match[3]))


def test_there_are_regression_cases() -> None:
    assert len(REGRESSIONS) >= 5
