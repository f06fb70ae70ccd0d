"""Segmentation and classification metrics against hand-computed cases."""

from __future__ import annotations

import pytest
import torch

from mgdsl.data.metrics import ClassificationMetrics, SegmentationMetrics

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
