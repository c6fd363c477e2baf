"""Denoise images of any size in overlapping tiles, so memory stays bounded and the result is seamless."""
import torch

from Miniproject_2.others.denoiser.augment import average_over_symmetries

TILE = 128    # the kept centre of a tile, in pixels
MARGIN = 32   # context on each side, beyond the network's receptive field (U-Net: about 20 pixels)


def tile_starts(size, tile, multiple):
    """Start offsets of the kept centres along one axis: every ``tile`` pixels, multiples of ``multiple``."""
    if tile % multiple:
        raise ValueError(f"tile must be a multiple of {multiple}, got {tile}")
    return list(range(0, size, tile))


def denoise_tiled(predict, image, multiple, tile=TILE, margin=MARGIN, batch=16, self_ensemble=1, white=None):
    """Denoise one image by tiles of ``tile`` pixels read with ``margin`` pixels of context.

    Each tile's window starts at a multiple of ``multiple`` (the network's downsampling grid) and windows
    of one shape are denoised together, so with a margin wider than the receptive field every output
    pixel sees exactly the context, padding included, it would see in one pass over the whole image.

    Args:
        predict: ``Model.predict``-like function, (B, 3, h, w) 0-255 -> (B, 3, h, w) 0-255.
        image: (3, H, W) tensor in 0-255.
        multiple: the network's input size multiple.
        self_ensemble: average over this many symmetries of the square, as ``Model.predict`` does with its
            recipe's ``self_ensemble`` (then ``predict`` must be the plain network's): each symmetry of the
            whole image is denoised by tiles and mapped back.
        white: 255 to use negatives in the ensemble too, as ``Model.predict`` does for a network trained on them
            (``Model.ensemble_white(255)``); None: symmetries only.

    Returns:
        (3, H, W) float tensor in 0-255.
    """
    if margin % multiple:
        raise ValueError(f"margin must be a multiple of {multiple}, got {margin}")
    def tiled(images):
        return _tiled(predict, images[0], multiple, tile, margin, batch)[None]
    return average_over_symmetries(tiled, image[None], self_ensemble, white)[0]


def _tiled(predict, image, multiple, tile, margin, batch):
    """One tiled pass of ``predict`` over a (3, H, W) image."""
    _, h, w = image.shape
    if h <= tile + 2 * margin and w <= tile + 2 * margin:
        return predict(image[None])[0]
    out = torch.empty(image.shape, dtype=torch.float32)
    groups = {}  # windows of one shape go through the network together
    for y in tile_starts(h, tile, multiple):
        for x in tile_starts(w, tile, multiple):
            (a, b), (c, d) = window = _window(y, x, h, w, tile, margin)
            groups.setdefault((b - a, d - c), []).append(((y, x), window))
    for jobs in groups.values():
        for first in range(0, len(jobs), batch):
            group = jobs[first:first + batch]
            results = predict(torch.stack([image[:, a:b, c:d] for _, ((a, b), (c, d)) in group]))
            for ((y, x), ((a, _), (c, _))), result in zip(group, results):
                ty, tx = min(tile, h - y), min(tile, w - x)
                out[:, y:y + ty, x:x + tx] = result[:, y - a:y - a + ty, x - c:x - c + tx]
    return out


def _window(y, x, h, w, tile, margin):
    """Rows and columns read for the tile at (y, x): the tile and ``margin`` around it, within the image."""
    return (max(0, y - margin), min(h, y + tile + margin)), (max(0, x - margin), min(w, x + tile + margin))
