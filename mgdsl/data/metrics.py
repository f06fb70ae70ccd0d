"""The paper's evaluation metrics, as accumulators over a test set (Tables 1-4), and the
segmentation signals that move before the paper's IoU does.

`SegmentationMetrics` is the paper's mean IoU / mean error; `ForegroundAccuracy` and
`BaseRateBCE` say whether a network has learnt anything while every map is still below 0.5;
`SegmentationEvaluation` runs all of them (IoU at 0.5 and at 0.3) in one pass.
"""

from __future__ import annotations

import math

import torch

__all__ = [
    "LABEL_THRESHOLD",
    "SegmentationMetrics",
    "ForegroundAccuracy",
    "BaseRateBCE",
    "SegmentationEvaluation",
    "ClassificationMetrics",
]

#: targets are binary at 0.5 in the paper's notebook, whatever the prediction threshold
LABEL_THRESHOLD = 0.5


class SegmentationMetrics:
    """Mean IoU and mean error of Tables 2-3, pooled over the whole test set.

    ``pred = prob >= threshold`` (0.5 in the paper) and ``label = target >= 0.5`` whatever
    the threshold (`LABEL_THRESHOLD`: the notebook binarises targets at 0.5). For every channel c, counts are
    summed over all images and pixels; then ``IoU_c = TP / (TP + FP + FN)`` and
    ``Acc_c = TP / (TP + FP)`` (the precision of the positive predictions, which is what the
    paper calls per-pixel accuracy). ``mean_iou`` is the mean of IoU_c and
    ``mean_error = 1 - mean(Acc_c)``.

    Empty denominators: a channel with no positive predictions has Acc_c = 0 (the paper's
    code would produce NaN; counting it as fully wrong means predicting nothing cannot look
    good), and a channel with neither predictions nor labels has IoU_c = 0. Both cases are
    listed in ``no_predictions`` so they can be spotted.
    """

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold
        self.tp: torch.Tensor | None = None
        self.fp: torch.Tensor | None = None
        self.fn: torch.Tensor | None = None
        self.images = 0

    def update(self, pred_probs: torch.Tensor, target: torch.Tensor) -> None:
        """Add a batch: probabilities and targets of the same shape (B, C, H, W)."""
        if pred_probs.shape != target.shape or pred_probs.dim() < 2:
            raise ValueError(f"prediction {tuple(pred_probs.shape)} and target {tuple(target.shape)} "
                             "must have the same (B, C, ...) shape")
        pred = (pred_probs.detach() >= self.threshold).transpose(0, 1).reshape(pred_probs.shape[1], -1)
        label = (target.detach() >= LABEL_THRESHOLD).transpose(0, 1).reshape(target.shape[1], -1)
        tp = (pred & label).sum(1, dtype=torch.int64).cpu()
        fp = (pred & ~label).sum(1, dtype=torch.int64).cpu()
        fn = (~pred & label).sum(1, dtype=torch.int64).cpu()
        if self.tp is None:
            self.tp, self.fp, self.fn = tp, fp, fn
        elif self.tp.shape != tp.shape:
            raise ValueError(f"batch has {len(tp)} channels, earlier batches had {len(self.tp)}")
        else:
            self.tp, self.fp, self.fn = self.tp + tp, self.fp + fp, self.fn + fn
        self.images += pred_probs.shape[0]

    def compute(self) -> dict:
        """``mean_iou``, ``mean_error``, per-channel ``iou``/``acc``/``tp``/``fp``/``fn``, ``no_predictions``."""
        if self.tp is None:
            raise ValueError("no batches were added")
        tp, fp, fn = (t.double() for t in (self.tp, self.fp, self.fn))
        union = tp + fp + fn
        predicted = tp + fp
        iou = torch.where(union > 0, tp / union.clamp(min=1), torch.zeros_like(tp))
        acc = torch.where(predicted > 0, tp / predicted.clamp(min=1), torch.zeros_like(tp))
        return {
            "mean_iou": float(iou.mean()),
            "mean_error": float(1.0 - acc.mean()),
            "iou": iou.tolist(),
            "acc": acc.tolist(),
            "tp": self.tp.tolist(),
            "fp": self.fp.tolist(),
            "fn": self.fn.tolist(),
            "no_predictions": [c for c in range(len(tp)) if predicted[c] == 0],
            "images": self.images,
        }


class ForegroundAccuracy:
    """Foreground class accuracy: on pixels where exactly one target map is on, how often the
    map with the highest output is that one.

    It rewards ranking the right class first even while every output is below the IoU
    threshold; chance is ``1 / C`` (10 % for the ten digit maps). Pixels with no label
    (background) or several (overlapping digits) are left out.
    """

    def __init__(self) -> None:
        self.correct = 0
        self.pixels = 0
        self.channels: int | None = None

    def update(self, pred_probs: torch.Tensor, target: torch.Tensor) -> None:
        """Add a batch of (B, C, H, W) outputs and targets."""
        if pred_probs.shape != target.shape or pred_probs.dim() < 2:
            raise ValueError(f"prediction {tuple(pred_probs.shape)} and target {tuple(target.shape)} "
                             "must have the same (B, C, ...) shape")
        label = target.detach() >= LABEL_THRESHOLD
        single = label.sum(1) == 1  # (B, H, W)
        truth = label.int().argmax(1)
        guess = pred_probs.detach().argmax(1)
        self.correct += int((guess == truth)[single].sum())
        self.pixels += int(single.sum())
        self.channels = pred_probs.shape[1]

    def compute(self) -> dict:
        """``fg_class_accuracy`` (NaN without single-label pixels), ``fg_pixels``, ``fg_chance``."""
        if self.channels is None:
            raise ValueError("no batches were added")
        accuracy = self.correct / self.pixels if self.pixels else math.nan
        return {"fg_class_accuracy": accuracy, "fg_pixels": self.pixels,
                "fg_chance": 1.0 / self.channels}


class BaseRateBCE:
    """The BCE of the best constant prediction: each map's foreground rate over the test set.

    A network whose test BCE is not below this has learnt no more than each map's base
    rate. With per-map rates ``p_c`` over equally many pixels it is ``mean_c H(p_c)``,
    ``H(p) = -p log p - (1-p) log(1-p)``.
    """

    def __init__(self) -> None:
        self.positives: torch.Tensor | None = None
        self.count = 0

    def update(self, pred_probs: torch.Tensor, target: torch.Tensor) -> None:
        """Add a batch of (B, C, ...) targets (`pred_probs` is not used)."""
        label = target.detach().double()
        positives = label.transpose(0, 1).reshape(label.shape[1], -1).sum(1).cpu()
        self.positives = positives if self.positives is None else self.positives + positives
        self.count += label[:, 0].numel()

    def compute(self) -> dict:
        """``base_bce`` and the per-map ``base_rate``."""
        if self.positives is None:
            raise ValueError("no batches were added")
        rate = self.positives / self.count
        entropy = -(torch.special.xlogy(rate, rate) + torch.special.xlogy(1 - rate, 1 - rate))
        return {"base_bce": float(entropy.mean()), "base_rate": rate.tolist()}


class SegmentationEvaluation:
    """Everything an MNIST evaluation reports, in one pass over the test set.

    The paper's `SegmentationMetrics` at 0.5 (``mean_iou``, ``mean_error`` and the per-map
    lists), ``mean_iou_at_0.3`` (predictions at 0.3, targets still at 0.5), and for more than
    one map `ForegroundAccuracy`; `BaseRateBCE` always.
    """

    low_threshold = 0.3

    def __init__(self) -> None:
        self.paper = SegmentationMetrics()
        self.low = SegmentationMetrics(threshold=self.low_threshold)
        self.foreground = ForegroundAccuracy()
        self.base = BaseRateBCE()

    def update(self, pred_probs: torch.Tensor, target: torch.Tensor) -> None:
        """Add a batch of (B, C, H, W) probabilities and targets."""
        for metric in (self.paper, self.low, self.foreground, self.base):
            metric.update(pred_probs, target)

    def compute(self) -> dict:
        """The paper's metrics plus ``mean_iou_at_0.3``, ``fg_*`` (C > 1) and ``base_*``."""
        out = self.paper.compute()
        out[f"mean_iou_at_{self.low_threshold}"] = self.low.compute()["mean_iou"]
        if self.foreground.channels and self.foreground.channels > 1:
            out.update(self.foreground.compute())
        out.update(self.base.compute())
        return out


class ClassificationMetrics:
    """Top-1 and top-5 error (Tables 1 and 4) of logits or log-probabilities against class ids."""

    def __init__(self, topk: tuple[int, ...] = (1, 5)) -> None:
        self.topk = topk
        self.correct = dict.fromkeys(topk, 0)
        self.count = 0

    def update(self, logits: torch.Tensor, target: torch.Tensor) -> None:
        """Add a batch: scores (B, classes) and int class ids (B,)."""
        if logits.dim() != 2 or target.shape != logits.shape[:1]:
            raise ValueError(f"scores {tuple(logits.shape)} must be (B, classes) and targets (B,), "
                             f"got {tuple(target.shape)}")
        k_max = min(max(self.topk), logits.shape[1])
        top = logits.detach().topk(k_max, dim=1).indices  # (B, k_max), best first
        hits = top == target.detach().view(-1, 1).to(top.device)
        for k in self.topk:
            self.correct[k] += int(hits[:, :k].any(1).sum())
        self.count += logits.shape[0]

    def compute(self) -> dict:
        """``top{k}_error`` for each k (fractions in [0, 1]) and ``count``."""
        if self.count == 0:
            raise ValueError("no batches were added")
        out: dict = {f"top{k}_error": 1.0 - self.correct[k] / self.count for k in self.topk}
        out["count"] = self.count
        return out
