"""The paper's evaluation metrics, as accumulators over a test set (Tables 1-4)."""

from __future__ import annotations

import torch

__all__ = ["SegmentationMetrics", "ClassificationMetrics"]


class SegmentationMetrics:
    """Mean IoU and mean error of Tables 2-3, pooled over the whole test set.

    ``pred = prob >= 0.5`` and ``label = target >= 0.5``. For every channel c, counts are
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
        label = (target.detach() >= self.threshold).transpose(0, 1).reshape(target.shape[1], -1)
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
