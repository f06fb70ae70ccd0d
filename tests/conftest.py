"""Shared pytest configuration: the `--update-golden` switch and common paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

# the machine running the suite is shared and busy: a per-example time limit only makes
# property tests flaky (speed targets live in benchmarks/)
settings.register_profile("mgdsl", deadline=None)
settings.load_profile("mgdsl")

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"


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
