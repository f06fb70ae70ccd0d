"""Attention maps by occlusion sensitivity (the paper's Figure 6) and example figures.

`occlusion_maps` sweeps 8x8 squares of uniform noise over an image (stride 2: 29 x 29 = 841
masks on 64x64) and measures how much the output changes at 7 probe points; `save_attention_png`
draws the result in HSV like Figure 6, and `save_examples_png` draws input / target /
prediction rows like Figure 5. Drawing uses matplotlib's Agg canvas directly (no pyplot
state is touched).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

__all__ = [
    "occlusion_masks",
    "probe_points",
    "occlusion_maps",
    "quantise_by_rank",
    "save_attention_png",
    "save_examples_png",
]

Point = tuple[int, int]
#: Hue of each probe point: centre green, left-top red (as in Figure 6), then the rest.
POINT_HUES = (1 / 3, 0.0, 0.62, 0.13, 0.8, 0.5, 0.92)


def occlusion_masks(size: int = 64, patch: int = 8, stride: int = 2) -> torch.Tensor:
    """All square occluders: (M, size, size) 0/1 masks with top-left corners 0, stride, ...

    For 64x64, patch 8, stride 2 the corners are 0..56 on each axis: 29 x 29 = 841 masks,
    ordered row by row.
    """
    starts = range(0, size - patch + 1, stride)
    masks = torch.zeros((len(starts) ** 2, size, size))
    for i, (y, x) in enumerate((y, x) for y in starts for x in starts):
        masks[i, y : y + patch, x : x + patch] = 1.0
    return masks


def probe_points(output_map: torch.Tensor, threshold: float = 0.4) -> list[Point]:
    """The 7 probe points (row, col) of a clean output map (H, W), or [] to skip the image.

    The bounding box of ``output_map >= threshold`` gives, in order: the box centre (floor of
    the midpoints), then for x in (left, right) and y in (top, middle, bottom) the point
    (y, x), where middle = top + ceil((bottom - top) / 2). So point 1 is the centre and point 2
    the left-top corner. A box spanning fewer than 2 rows or columns gives [].
    """
    on = output_map >= threshold
    rows = torch.nonzero(on.any(1)).flatten()
    cols = torch.nonzero(on.any(0)).flatten()
    if len(rows) == 0 or len(cols) == 0:
        return []
    top, bottom, left, right = int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])
    if bottom - top + 1 < 2 or right - left + 1 < 2:
        return []
    middle = top + math.ceil((bottom - top) / 2)
    points = [((top + bottom) // 2, (left + right) // 2)]
    points += [(y, x) for x in (left, right) for y in (top, middle, bottom)]
    return points


def occlusion_maps(
    model: torch.nn.Module,
    image: torch.Tensor,
    *,
    normalise: Callable[[torch.Tensor], torch.Tensor],
    patch: int = 8,
    stride: int = 2,
    threshold: float = 0.1,
    probe_threshold: float = 0.4,
    generator: torch.Generator | None = None,
    chunk: int = 128,
    output_fn: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> tuple[torch.Tensor, list[Point]]:
    """Occlusion saliency maps (7, H, W) of one image (1, H, W) in raw [0, 1] intensity.

    Each mask i replaces its square by fresh U[0, 1) noise from `generator`; the clean image
    and the occluded ones go through ``model(normalise(x))`` in chunks of `chunk`, with the
    model in eval mode (its mode is restored after). `output_fn` maps the model's output to
    probabilities (None: it already returns them, as the MNIST networks end in a sigmoid).
    Multi-channel outputs are reduced by the maximum over channels. For probe point j
    (`probe_points` of the clean output), impact = max over its 3x3 patch (shifted inside
    the image) of |out_i - out_clean|; if impact >= `threshold`, ``impact * mask_i`` is
    added to map j. Returns the maps and the points; an image whose output has no usable
    bounding box gives zero maps and no points.
    """
    if image.dim() != 3:
        raise ValueError(f"image must be (channels, H, W), got {tuple(image.shape)}")
    _, height, width = image.shape
    image = image.detach().to(torch.float32).cpu()
    masks = occlusion_masks(height, patch, stride)
    if height != width:
        raise ValueError("occlusion maps need a square image")
    noise = torch.rand(masks.shape, generator=generator)
    was_training = model.training
    model.eval()
    try:
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
        with torch.no_grad():
            clean = _forward(model, image[None], normalise, output_fn, device)[0]  # (C, H, W)
            points = probe_points(clean.amax(0), probe_threshold)
            maps = torch.zeros((7, height, width))
            if not points:
                return maps, []
            boxes = [_patch_box(p, height, width) for p in points]
            for start in range(0, len(masks), chunk):
                m = masks[start : start + chunk, None]  # (B, 1, H, W)
                occluded = image[None] * (1 - m) + noise[start : start + chunk, None] * m
                diff = (_forward(model, occluded, normalise, output_fn, device) - clean).abs().amax(1)
                impact = torch.stack([diff[:, y0:y1, x0:x1].amax((1, 2)) for y0, y1, x0, x1 in boxes], 1)
                impact = torch.where(impact >= threshold, impact, torch.zeros_like(impact))  # (B, 7)
                maps += torch.einsum("bj,bhw->jhw", impact, m[:, 0])
    finally:
        model.train(was_training)
    return maps, points


def _forward(model, batch: torch.Tensor, normalise, output_fn, device) -> torch.Tensor:
    out = model(normalise(batch).to(device))
    if output_fn is not None:
        out = output_fn(out)
    return out.detach().float().cpu()


def _patch_box(point: Point, height: int, width: int) -> tuple[int, int, int, int]:
    y0 = min(max(point[0] - 1, 0), max(height - 3, 0))
    x0 = min(max(point[1] - 1, 0), max(width - 3, 0))
    return y0, y0 + 3, x0, x0 + 3


def quantise_by_rank(saliency: np.ndarray, levels: int = 10) -> np.ndarray:
    """Map nonzero values to ``k / levels`` by rank (top 10% -> 1.0, next 10% -> 0.9, ...).

    Zeros stay 0; ties share the highest level any of them reaches.
    """
    out = np.zeros(saliency.shape, np.float32)
    nonzero = saliency > 0
    values = saliency[nonzero]
    if values.size == 0:
        return out
    ordered = np.sort(values)
    fraction = np.searchsorted(ordered, values, side="right") / values.size  # in (0, 1]
    out[nonzero] = np.ceil(fraction * levels - 1e-9) / levels
    return out


def save_attention_png(path: str | Path, image: torch.Tensor | np.ndarray, maps: torch.Tensor | np.ndarray,
                       points: Sequence[Point]) -> Path:
    """Draw `occlusion_maps`' result like Figure 6 and save it as a PNG at `path`.

    Panels: the input with the probe points; points 1 and 2 together (each pixel takes the
    hue of the point with the larger saliency); then each point alone. Colours are HSV with
    hue per point, saturation = the rank-quantised saliency (10 levels) and value = the input
    binarised at 0.3, so saliency shows on the digit's strokes.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import hsv_to_rgb
    from matplotlib.figure import Figure

    picture = _as_2d(image)
    value = (picture >= 0.3).astype(np.float32)
    maps = np.asarray(maps, dtype=np.float32)
    levels = [quantise_by_rank(m / m.max() if m.max() > 0 else m) for m in maps[: len(points)]]

    panels: list[tuple[str, np.ndarray, list[int]]] = [("input", np.repeat(picture[..., None], 3, -1), [])]
    if len(levels) >= 2:
        pick = (levels[1] > levels[0]).astype(int)
        hue = np.choose(pick, [POINT_HUES[0], POINT_HUES[1]])
        sat = np.maximum(levels[0], levels[1])
        panels.append(("points 1+2", hsv_to_rgb(np.stack([hue, sat, value], -1)), [0, 1]))
    for j, level in enumerate(levels):
        hsv = np.stack([np.full_like(level, POINT_HUES[j]), level, value], -1)
        panels.append((f"point {j + 1}", hsv_to_rgb(hsv), [j]))

    columns = min(3, len(panels))
    rows = math.ceil(len(panels) / columns)
    figure = Figure(figsize=(2.2 * columns, 2.3 * rows))
    FigureCanvasAgg(figure)
    for k, (title, rgb, marked) in enumerate(panels):
        axes = figure.add_subplot(rows, columns, k + 1)
        axes.imshow(np.clip(rgb, 0, 1), interpolation="nearest")
        for j in range(len(points)) if k == 0 else marked:
            axes.plot(points[j][1], points[j][0], marker="s", markersize=4, markerfacecolor="none",
                      markeredgecolor=hsv_to_rgb([POINT_HUES[j], 1.0, 1.0]))
        axes.set_title(title if points or k else "input (no probe points)", fontsize=8)
        axes.axis("off")
    figure.tight_layout()
    return _save(figure, path)


def save_examples_png(path: str | Path, inputs, targets, preds, *, threshold: float = 0.5) -> Path:
    """Save a Figure-5-like grid: one row per example, columns input / target / prediction.

    `inputs` (B, 1, H, W) (any scale: each is stretched to its own range), `targets` and
    `preds` (B, C, H, W); `preds` are probabilities, binarised at `threshold`. One channel is
    drawn in grey; several channels as a label image, each class in its own colour (where
    classes overlap, the highest-scoring one), black where none is on, with a colour key
    of the classes (the digits, for MNIST segmentation) under the grid.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    inputs, targets, preds = (np.asarray(torch.as_tensor(a).detach().cpu(), dtype=np.float32)
                              for a in (inputs, targets, preds))
    if not len(inputs) == len(targets) == len(preds):
        raise ValueError("inputs, targets and preds must hold the same number of examples")
    classes = targets.shape[1] if targets.ndim == 4 else 1
    key = 0.45 if classes > 1 else 0.0
    figure = Figure(figsize=(6.0, 2.0 * len(inputs) + 0.3 + key))
    FigureCanvasAgg(figure)
    for row in range(len(inputs)):
        picture = _as_2d(inputs[row])
        span = picture.max() - picture.min()
        columns = [
            ("input", np.repeat(((picture - picture.min()) / (span if span > 0 else 1))[..., None], 3, -1)),
            ("target", _label_image(targets[row], threshold)),
            ("prediction", _label_image(preds[row], threshold)),
        ]
        for col, (title, rgb) in enumerate(columns):
            axes = figure.add_subplot(len(inputs), 3, row * 3 + col + 1)
            axes.imshow(rgb, interpolation="nearest")
            if row == 0:
                axes.set_title(title, fontsize=9)
            axes.axis("off")
    if classes > 1:
        _class_key(figure, classes)
    figure.tight_layout(rect=(0.0, key / (2.0 * len(inputs) + 0.3 + key), 1.0, 1.0))
    return _save(figure, path)


def _class_key(figure, classes: int) -> None:
    """A row of colour patches naming each class, in the colours `_label_image` uses."""
    from matplotlib import colormaps
    from matplotlib.patches import Patch

    palette = colormaps["tab10"].colors
    handles = [Patch(facecolor=palette[c % len(palette)], edgecolor="none", label=str(c))
               for c in range(classes)]
    figure.legend(handles=handles, loc="lower center", ncol=min(classes, 10), fontsize=8,
                  frameon=False, title="class", title_fontsize=8, handlelength=1.2,
                  columnspacing=0.9, borderaxespad=0.2)


def _label_image(maps: np.ndarray, threshold: float) -> np.ndarray:
    from matplotlib import colormaps

    if maps.shape[0] == 1:
        return np.repeat((maps[0] >= threshold).astype(np.float32)[..., None], 3, -1)
    palette = np.asarray(colormaps["tab10"].colors, dtype=np.float32)
    on = maps >= threshold
    best = np.where(on, maps, -np.inf).argmax(0)
    rgb = palette[best % len(palette)]
    return rgb * on.any(0)[..., None]


def _as_2d(image) -> np.ndarray:
    array = np.asarray(torch.as_tensor(image).detach().cpu(), dtype=np.float32)
    while array.ndim > 2:
        array = array[0]
    return array


def _save(figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", dpi=100)
    return path
