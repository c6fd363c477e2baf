"""Data augmentation for training pairs: the eight flips and rotations of the square (dihedral group)."""
from torch import empty


def dihedral(images, k):
    """Return ``images`` transformed by symmetry ``k`` of the square (0 is the identity).

    Bit 0 flips left-right, bit 1 flips top-bottom, bit 2 swaps rows and columns (with the flips, the
    four rotations and four reflections). The swap needs square images; it is skipped otherwise.

    Shape:
        (N, C, H, W) -> (N, C, H, W), or (N, C, W, H) when bit 2 is set and H == W.
    """
    if k & 1:
        images = images.flip(3)
    if k & 2:
        images = images.flip(2)
    if k & 4 and images.shape[2] == images.shape[3]:
        images = images.transpose(2, 3)
    return images


def undo_dihedral(images, k):
    """Return ``images`` transformed by the inverse of symmetry ``k``: ``undo_dihedral(dihedral(x, k), k) == x``.

    Flips are their own inverses and commute; past a swap of rows and columns, a left-right flip becomes a
    top-bottom one, so the inverse of "flips then swap" is the same swap with the two flip bits exchanged.
    """
    if k & 4 and images.shape[2] == images.shape[3]:
        k = 4 | (k & 1) << 1 | (k & 2) >> 1
    return dihedral(images, k)


def symmetries(count, height, width):
    """The first ``count`` symmetries (0-7) that differ for images of ``height`` x ``width``: the swap of rows
    and columns (4-7) only for square images."""
    return [k for k in range(count) if k < 4 or height == width]


def average_over_symmetries(function, images, count):
    """The mean over the first ``count`` symmetries k (``symmetries``) of undo_dihedral(function(dihedral(x, k)), k).

    A self-ensemble: ``function`` (a denoiser trained on all eight symmetries) gives an equally good estimate
    for each, and their errors partly cancel. ``count`` = 1 is ``function(images)`` itself.

    Shape:
        images (N, C, H, W) -> what ``function`` returns for them, (N, C', H, W).
    """
    chosen = symmetries(count, images.shape[2], images.shape[3])
    total = None
    for k in chosen:
        out = undo_dihedral(function(dihedral(images, k)), k)
        total = out if total is None else total.add_(out)
    return total.div_(len(chosen)) if len(chosen) > 1 else total


def random_symmetry():
    """Draw a symmetry 0-7 uniformly from torch's global generator (so a seed fixes it)."""
    return int(empty(1).random_(8).item())
