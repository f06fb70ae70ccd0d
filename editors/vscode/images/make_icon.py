"""Draws icon.png, the extension's 128x128 icon: a multigrid pyramid, the same feature map
at three resolutions (8x8, 4x4 and 2x2 cells), as in Ke, Maire and Yu's figures.

    python editors/vscode/images/make_icon.py
"""

from pathlib import Path

from PIL import Image, ImageDraw

SIZE, SCALE = 128, 4  # drawn 4x larger, then downsampled for smooth edges
BACKGROUND = (30, 41, 59)
GRIDS = [  # (cells, side in px at 128, top-left corner, fill, line)
    (8, 64, (14, 14), (59, 130, 246), (191, 219, 254)),
    (4, 48, (50, 50), (20, 184, 166), (204, 251, 241)),
    (2, 32, (82, 82), (249, 115, 22), (255, 237, 213)),
]


def draw() -> Image.Image:
    big = Image.new("RGBA", (SIZE * SCALE, SIZE * SCALE), (0, 0, 0, 0))
    d = ImageDraw.Draw(big)
    d.rounded_rectangle([0, 0, SIZE * SCALE - 1, SIZE * SCALE - 1], radius=22 * SCALE,
                        fill=BACKGROUND)
    for cells, side, (x, y), fill, line in GRIDS:
        x, y, side = x * SCALE, y * SCALE, side * SCALE
        d.rectangle([x, y, x + side, y + side], fill=fill)
        step = side / cells
        for i in range(cells + 1):
            w = 2 * SCALE if i in (0, cells) else SCALE
            d.line([x + i * step, y, x + i * step, y + side], fill=line, width=w)
            d.line([x, y + i * step, x + side, y + i * step], fill=line, width=w)
    return big.resize((SIZE, SIZE), Image.LANCZOS)


if __name__ == "__main__":
    draw().save(Path(__file__).with_name("icon.png"), optimize=True)
