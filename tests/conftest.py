"""Shared pytest configuration: the `--update-golden` switch and common paths."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings
from paths import TESTS

# The machine running the suite is shared and busy: a per-example time limit only makes
# property tests flaky (speed targets live in benchmarks/). The default run draws the same
# examples every time, so a change cannot fail on an example it did not cause; the
# "explore" profile (HYPOTHESIS_PROFILE=explore) draws new ones to hunt for bugs.
settings.register_profile("mgdsl", deadline=None, derandomize=True)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "mgdsl"))

GOLDEN = TESTS / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite golden files from the current output (read the diff!)")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny convolutions run fastest on one thread (and do not fight pytest-xdist)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
