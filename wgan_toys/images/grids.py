"""Sample grids with Pillow alone (no torchvision): images in [-1, 1] -> one PNG."""

from __future__ import annotations

import math
import pathlib

import numpy as np
import torch

__all__ = ["image_grid", "save_image_grid"]


def image_grid(images: torch.Tensor, columns: int | None = None, padding: int = 2) -> np.ndarray:
    """Tile images (n, C, S, S) in [-1, 1] into one uint8 array (H, W) or (H, W, 3).

    >>> image_grid(torch.zeros(4, 1, 16, 16)).shape
    (38, 38)
    """
    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"images have shape {tuple(images.shape)}, must be (n, C, S, S) with C in (1, 3).")
    count, channels, height, width = images.shape
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    pixels = ((images.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()
    grid = np.full(
        (channels, rows * (height + padding) + padding, columns * (width + padding) + padding), 255, dtype=np.uint8
    )
    for index in range(count):
        row, column = divmod(index, columns)
        top, left = padding + row * (height + padding), padding + column * (width + padding)
        grid[:, top : top + height, left : left + width] = pixels[index]
    return grid[0] if channels == 1 else grid.transpose(1, 2, 0)


def save_image_grid(images: torch.Tensor, path, columns: int | None = None, scale: int = 1) -> pathlib.Path:
    """Write :func:`image_grid` to ``path`` as PNG (``scale`` > 1 enlarges it, nearest neighbour)."""
    from PIL import Image

    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    picture = Image.fromarray(image_grid(images, columns))
    if scale > 1:
        picture = picture.resize((picture.width * scale, picture.height * scale), Image.Resampling.NEAREST)
    picture.save(path)
    return path
