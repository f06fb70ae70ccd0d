"""Segmentation and classification metrics against hand-computed cases."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from mgdsl.data.metrics import (
    BaseRateBCE,
    ClassificationMetrics,
    ForegroundAccuracy,
    SegmentationEvaluation,
    SegmentationMetrics,
)

pytestmark = pytest.mark.torch  # imports torch


def maps(*rows: list[list[float]]) -> torch.Tensor:
    """A (1, C, 1, W) batch from one row of pixel values per channel."""
    return torch.tensor([[[row] for row in rows]], dtype=torch.float32)


def test_two_channel_hand_computed_case():
    # channel 0: pred 1 1 0 0, label 1 0 1 0 -> TP 1, FP 1, FN 1: IoU 1/3, Acc 1/2
    # channel 1: pred 1 1 1 0, label 1 1 1 1 -> TP 3, FP 0, FN 1: IoU 3/4, Acc 1
    pred = maps([0.9, 0.5, 0.49, 0.1], [0.6, 0.7, 0.8, 0.2])
    target = maps([1, 0, 1, 0], [1, 1, 1, 1])
    metrics = SegmentationMetrics()
    metrics.update(pred, target)
    out = metrics.compute()
    assert out["iou"] == pytest.approx([1 / 3, 3 / 4])
    assert out["acc"] == pytest.approx([1 / 2, 1.0])
    assert out["mean_iou"] == pytest.approx((1 / 3 + 3 / 4) / 2)
    assert out["mean_error"] == pytest.approx(1 - (0.5 + 1.0) / 2)
    assert (out["tp"], out["fp"], out["fn"]) == ([1, 3], [1, 0], [1, 1])


def test_counts_are_pooled_over_the_test_set_not_averaged_per_image():
    # image 1: TP 1, FP 0, FN 0 (IoU 1); image 2: TP 1, FP 0, FN 3 (IoU 1/4)
    # pooled: TP 2, FN 3 -> IoU 2/5 (the per-image mean would be 5/8)
    a = (maps([1, 0, 0, 0]), maps([1, 0, 0, 0]))
    b = (maps([1, 0, 0, 0]), maps([1, 1, 1, 1]))
    pooled = SegmentationMetrics()
    pooled.update(*a)
    pooled.update(*b)
    assert pooled.compute()["mean_iou"] == pytest.approx(2 / 5)
    together = SegmentationMetrics()
    together.update(torch.cat([a[0], b[0]]), torch.cat([a[1], b[1]]))
    assert together.compute() == pooled.compute()


def test_no_positive_predictions_counts_as_zero_accuracy():
    metrics = SegmentationMetrics()
    metrics.update(maps([0.1, 0.2], [0.9, 0.1]), maps([1, 0], [1, 0]))
    out = metrics.compute()
    assert out["acc"] == [0.0, 1.0] and out["iou"] == [0.0, 1.0]
    assert out["no_predictions"] == [0]
    assert out["mean_error"] == pytest.approx(0.5)


def test_all_false_positives_give_iou_zero_error_one():
    metrics = SegmentationMetrics()
    metrics.update(maps([0.9, 0.9, 0.1]), maps([0, 0, 1]))
    out = metrics.compute()
    assert out["mean_iou"] == 0.0 and out["mean_error"] == 1.0


def test_segmentation_input_checks():
    metrics = SegmentationMetrics()
    with pytest.raises(ValueError):
        metrics.update(torch.zeros(1, 2, 4, 4), torch.zeros(1, 3, 4, 4))
    with pytest.raises(ValueError):
        metrics.compute()
    metrics.update(torch.zeros(1, 2, 4, 4), torch.zeros(1, 2, 4, 4))
    with pytest.raises(ValueError):
        metrics.update(torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 4))


def test_a_lower_threshold_moves_predictions_only_targets_stay_binary_at_half():
    # a target of 0.4 is background in the paper's notebook whatever the prediction threshold
    pred = maps([0.35, 0.35, 0.6, 0.1])
    target = maps([1.0, 0.4, 1.0, 0.4])
    low = SegmentationMetrics(threshold=0.3)
    low.update(pred, target)
    out = low.compute()
    # predictions 1 1 1 0 against labels 1 0 1 0: TP 2, FP 1, FN 0
    assert (out["tp"], out["fp"], out["fn"]) == ([2], [1], [0])
    assert out["mean_iou"] == pytest.approx(2 / 3)
    paper = SegmentationMetrics()
    paper.update(pred, target)
    assert (paper.compute()["tp"], paper.compute()["fn"]) == ([1], [1])


def test_foreground_accuracy_counts_single_label_pixels_only():
    # 3 maps, 4 pixels: pixel 0 is map 0 (argmax right), pixel 1 map 2 (argmax says 1),
    # pixel 2 has two labels and pixel 3 none: both left out
    pred = maps([0.2, 0.1, 0.3, 0.9], [0.1, 0.3, 0.2, 0.1], [0.0, 0.2, 0.1, 0.0])
    target = maps([1, 0, 1, 0], [0, 0, 1, 0], [0, 1, 0, 0])
    acc = ForegroundAccuracy()
    acc.update(pred, target)
    out = acc.compute()
    assert out == {"fg_class_accuracy": 0.5, "fg_pixels": 2, "fg_chance": pytest.approx(1 / 3)}
    # all probabilities below 0.5 (IoU 0) while the ranking is right: accuracy sees it
    ranked = ForegroundAccuracy()
    ranked.update(pred * 0.1, maps([1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0]))
    assert ranked.compute()["fg_class_accuracy"] == 1.0
    empty = ForegroundAccuracy()
    empty.update(pred, torch.zeros_like(pred))
    assert math.isnan(empty.compute()["fg_class_accuracy"])


def test_base_rate_bce_is_the_best_constant_prediction():
    target = (torch.rand(4, 3, 8, 8, generator=torch.Generator().manual_seed(0)) < 0.2).float()
    base = BaseRateBCE()
    base.update(target[:1], target[:1])
    base.update(target[1:], target[1:])
    out = base.compute()
    rate = target.mean((0, 2, 3))
    assert out["base_rate"] == pytest.approx(rate.tolist())
    constant = rate.view(1, 3, 1, 1).expand_as(target)
    assert out["base_bce"] == pytest.approx(float(F.binary_cross_entropy(constant, target)), rel=1e-6)
    for nudge in (0.9, 1.1):  # any other constant does worse
        worse = (constant * nudge).clamp(max=1)
        assert float(F.binary_cross_entropy(worse, target)) > out["base_bce"]


def test_segmentation_evaluation_reports_everything_in_one_pass():
    pred = maps([0.35, 0.2, 0.6, 0.1], [0.1, 0.15, 0.1, 0.1])
    target = maps([1, 0, 1, 0], [0, 1, 0, 0])
    evaluation = SegmentationEvaluation()
    evaluation.update(pred, target)
    out = evaluation.compute()
    assert out["mean_iou"] == pytest.approx((1 / 2 + 0) / 2)
    assert out["mean_iou_at_0.3"] == pytest.approx((1 + 0) / 2)
    assert out["fg_class_accuracy"] == pytest.approx(2 / 3)  # pixel 1: map 0 ranks above map 1
    assert out["base_bce"] > 0 and out["mean_error"] == pytest.approx(1 - (1 + 0) / 2)
    single = SegmentationEvaluation()  # one map (mnist-spt): no class to rank
    single.update(pred[:, :1], target[:, :1])
    assert "fg_class_accuracy" not in single.compute() and "base_bce" in single.compute()


def test_top1_top5_hand_computed():
    logits = torch.tensor([
        [0.0, 9.0, 1.0, 2.0, 3.0, 4.0, 5.0],  # target 1: top-1 hit
        [9.0, 0.0, 8.0, 7.0, 6.0, 5.0, 4.0],  # target 4: rank 4 -> top-5 hit only
        [9.0, 8.0, 7.0, 6.0, 5.0, 4.0, 0.0],  # target 6: rank 7 -> miss
    ])
    metrics = ClassificationMetrics()
    metrics.update(logits[:2], torch.tensor([1, 4]))
    metrics.update(logits[2:], torch.tensor([6]))
    out = metrics.compute()
    assert out["top1_error"] == pytest.approx(2 / 3)
    assert out["top5_error"] == pytest.approx(1 / 3)
    assert out["count"] == 3


def test_fewer_classes_than_k():
    metrics = ClassificationMetrics()
    metrics.update(torch.tensor([[0.2, 0.8], [0.9, 0.1]]), torch.tensor([0, 0]))
    out = metrics.compute()
    assert out["top1_error"] == pytest.approx(0.5) and out["top5_error"] == 0.0


def test_classification_input_checks():
    with pytest.raises(ValueError):
        ClassificationMetrics().update(torch.zeros(3, 4), torch.zeros(2, dtype=torch.int64))
    with pytest.raises(ValueError):
        ClassificationMetrics().compute()
