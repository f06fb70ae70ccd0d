"""LR rules of the paper (§9), their scaling to shorter runs, `is_residual`, `TrainConfig`."""

from __future__ import annotations

import functools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mgdsl.data.errors import DataError
from mgdsl.data.registry import TASKS
from mgdsl.ir.graph import NetworkGraph
from mgdsl.train import TrainConfig, is_residual, lr_at, paper_config, paper_rule
from mgdsl.train.schedules import DEFAULT_SCHEDULE, compression, compression_warning, paper_epochs


def paper_exp(e: int) -> float:
    return 10 ** -(1 + 3 * (e - 1) / 199)


def paper_step(e: int) -> float:
    return 0.1 * 0.2 ** sum(e >= m for m in (60, 120, 160))


def paper_imagenet(e: int) -> float:
    return 0.1 * 0.1 ** ((e - 1) // 30)


@pytest.mark.parametrize("schedule", ["paper", "scaled"])
def test_paper_rules_at_paper_length(schedule):
    for e in range(1, 201):
        assert lr_at(e, 200, rule="exp", schedule=schedule) == pytest.approx(paper_exp(e), rel=1e-12)
        assert lr_at(e, 200, rule="step", schedule=schedule) == pytest.approx(paper_step(e), rel=1e-12)
    for e in range(1, 101):
        assert lr_at(e, 100, rule="imagenet", schedule=schedule) == pytest.approx(
            paper_imagenet(e), rel=1e-12
        )


def test_step_rule_values_and_edges():
    assert [lr_at(e, 200, rule="step") for e in (59, 60, 119, 120, 159, 160)] == pytest.approx(
        [0.1, 0.02, 0.02, 0.004, 0.004, 0.0008]
    )
    assert lr_at(1, 200, rule="exp") == pytest.approx(0.1)
    assert lr_at(200, 200, rule="exp") == pytest.approx(1e-4)


def test_scaled_schedules_decay_over_short_runs():
    scaled = functools.partial(lr_at, schedule="scaled")
    assert [scaled(e, 5, rule="exp") for e in (1, 5)] == pytest.approx([0.1, 1e-4])
    assert [scaled(e, 5, rule="step") for e in range(1, 6)] == pytest.approx(
        [0.1, 0.1, 0.02, 0.004, 0.0008]
    )
    assert scaled(1, 1, rule="step") == 0.1  # a one-epoch run trains at the initial rate
    assert [scaled(e, 20, rule="step") for e in (6, 7, 12, 13, 16, 17)] == pytest.approx(
        [0.1, 0.02, 0.02, 0.004, 0.004, 0.0008]
    )
    assert [scaled(e, 10, rule="imagenet") for e in (1, 3, 4, 7, 10)] == pytest.approx(
        [0.1, 0.1, 0.01, 0.001, 0.0001]
    )
    # 'paper' keeps the paper's epoch numbers: a 5-epoch run hardly decays
    assert lr_at(5, 5, rule="exp", schedule="paper") == pytest.approx(paper_exp(5))
    assert lr_at(5, 5, rule="step", schedule="paper") == 0.1
    assert lr_at(1, 1, rule="exp") == 0.1


@given(total=st.integers(1, 200), rule=st.sampled_from(["exp", "step", "imagenet"]),
       longer=st.integers(0, 200))
def test_paper_schedule_is_a_prefix_of_the_paper_run(total, rule, longer):
    # the default: a shortened run is the beginning of the paper's run, and any longer run
    # goes through the same rates at the same epochs
    assert DEFAULT_SCHEDULE == "paper" and TrainConfig("mnist-seg", 1, 1, 1).lr_schedule == "paper"
    full = paper_epochs(rule)
    for e in range(1, total + 1):
        assert lr_at(e, total, rule=rule) == lr_at(e, total + longer, rule=rule) == lr_at(e, full, rule=rule)


def test_paper_schedule_counts_the_papers_epochs_in_images():
    # mnist-seg: the paper's epoch is 150 steps of 64 = 9,600 images
    short = paper_config("mnist-seg", residual=False, epochs=6, iters_per_epoch=50, batch_size=32)
    assert [short.schedule_epoch(s) for s in (0, 299, 300, 599, 600)] == [1, 1, 2, 2, 3]
    assert short.lr_at_step(299) == 0.1 and short.lr_at_step(300) == pytest.approx(paper_exp(2))
    paper = paper_config("mnist-seg", residual=False)
    assert [paper.schedule_epoch(s) for s in (0, 149, 150)] == [1, 1, 2]  # = the run's epochs
    accumulated = paper_config("mnist-seg", residual=True, batch_size=32, iter_size=2)
    assert accumulated.schedule_epoch(150) == 2 and accumulated.lr_at_step(150 * 59) == pytest.approx(0.02)
    # other schedules, and tasks the paper does not have, follow the run's own epochs
    scaled = paper_config("mnist-seg", residual=False, epochs=6, iters_per_epoch=50,
                          batch_size=32, lr_schedule="scaled")
    assert [scaled.schedule_epoch(s) for s in (49, 50, 299)] == [1, 2, 6]
    assert scaled.lr_at_step(299) == pytest.approx(1e-4)
    fake = TrainConfig("fake-seg", epochs=3, iters_per_epoch=8, batch_size=8)
    assert [fake.schedule_epoch(s) for s in (7, 8)] == [1, 2]


def test_scaled_warns_only_when_it_squeezes_over_ten_times():
    # the paper's mnist-seg run is 200 epochs of 150 steps = 30,000 steps
    warn = functools.partial(compression_warning, rule="exp", paper_iters_per_epoch=150)
    assert compression(20, 150, rule="exp", paper_iters_per_epoch=150) == 10.0
    assert warn(20, 150, schedule="scaled") is None  # exactly 10x: quiet
    line = warn(19, 150, schedule="scaled")
    assert line is not None and "\n" not in line and line.startswith("warning: --lr-schedule scaled")
    assert "11x" in line and "2,850 steps" in line and "--lr-schedule paper" in line
    assert warn(2, 25, schedule="scaled").count("600x") == 1  # steps count, not only epochs
    for schedule in ("paper", "constant", "cosine"):
        assert warn(2, 25, schedule=schedule) is None
    assert compression(5, 10, rule="step") == 40.0  # a task without paper steps: epochs only


def test_constant_and_cosine():
    assert lr_at(7, 10, rule="step", schedule="constant", base=0.05) == 0.05
    assert lr_at(1, 10, rule="exp", schedule="cosine") == pytest.approx(0.1)
    assert lr_at(6, 10, rule="exp", schedule="cosine") == pytest.approx(0.05)


@given(total=st.integers(1, 400), rule=st.sampled_from(["exp", "step", "imagenet"]),
       schedule=st.sampled_from(["scaled", "paper", "cosine", "constant"]))
def test_schedules_never_increase(total, rule, schedule):
    lrs = [lr_at(e, total, rule=rule, schedule=schedule) for e in range(1, total + 1)]
    assert all(b <= a * (1 + 1e-12) for a, b in zip(lrs, lrs[1:], strict=False))
    assert all(0 < v <= 0.1 + 1e-15 and math.isfinite(v) for v in lrs)


def test_bad_schedule_arguments():
    with pytest.raises(ValueError, match="unknown LR rule"):
        lr_at(1, 10, rule="linear")
    with pytest.raises(ValueError, match="unknown LR schedule"):
        lr_at(1, 10, rule="exp", schedule="warmup")
    with pytest.raises(ValueError):
        lr_at(0, 10, rule="exp")


def test_is_residual_looks_for_add_nodes():
    g = NetworkGraph()
    g.add_node("x", op="input")
    g.add_node("c", op="conv")
    g.add_edge("x", "c")
    assert not is_residual(g)
    g.add_node("a", op="add")
    assert is_residual(g)
    assert not is_residual(NetworkGraph())


def test_paper_rule_per_task_and_family():
    assert paper_rule("cifar100", residual=True) == "step"
    assert paper_rule("mnist-seg", residual=False) == "exp"
    assert paper_rule("imagenet", residual=True) == "imagenet"


def test_paper_config_table_and_overrides():
    assert {k: (d.batch_size, d.iters_per_epoch, d.epochs, d.weight_decay)
            for k, d in ((name, spec.defaults) for name, spec in TASKS.items())} == {
        "mnist-seg": (64, 150, 200, 5e-4),
        "mnist-spt": (64, 800, 200, 5e-4),
        "cifar100": (128, 300, 200, 5e-4),
        "imagenet": (256, 10_000, 100, 1e-4),
    }
    c = paper_config("cifar100", residual=True, epochs=5, batch_size=None)
    assert (c.epochs, c.batch_size, c.lr_rule, c.momentum, c.lr) == (5, 128, "step", 0.9, 0.1)
    assert c.total_steps == 1500
    assert TrainConfig.from_dict({**c.to_dict(), "unknown": 1}) == c
    with pytest.raises(DataError, match="unknown task `mnist`"):
        paper_config("mnist", residual=False)
    adamw = paper_config("mnist-seg", residual=False, optimizer="adamw")
    assert (adamw.lr, adamw.lr_schedule) == (1e-3, "paper")
    assert paper_config("mnist-seg", residual=False, optimizer="adamw", lr=0.01).lr == 0.01


@pytest.mark.parametrize(
    "field, value, message",
    [("epochs", 0, "epochs must be a positive integer"),
     ("iter_size", 0, "iter_size must be a positive integer"),
     ("lr", 0.0, "lr must be positive"),
     ("momentum", 1.0, "momentum must be in"),
     ("lr_schedule", "poly", "lr_schedule must be one of paper, scaled, constant, cosine"),
     ("amp_dtype", "fp8", "amp_dtype must be one of bf16, fp16"),
     ("eval_limit", 0, "eval_limit must be a positive integer"),
     ("optimizer", "adam", "optimizer must be one of sgd, adamw"),
     ("output_prior", 1.0, "output_prior must be a probability"),
     ("output_prior", 0.0, "output_prior must be a probability"),
     ("device", "gpu", "device must be auto, cpu, cuda or cuda:N"),
     ("seed", 1.5, "seed must be an int")],
)
def test_config_validation(field, value, message):
    with pytest.raises(ValueError, match=message):
        paper_config("mnist-seg", residual=False, **{field: value})
