"""Data augmentation for training pairs: the eight flips and rotations of the square (dihedral group), and the
colour transforms that leave independent, symmetric noise unchanged (channel orders, negatives)."""
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


def ensemble(count, height, width, negatives=False):
    """The first ``count`` transforms ``(k, invert)`` of a self-ensemble for images of ``height`` x ``width``.

    Without ``negatives``, the symmetries k of ``symmetries``; with them, each symmetry followed by its negative,
    so ``count`` = 4 is symmetries 0 and 1, each plain and inverted.
    """
    if not negatives:
        return [(k, False) for k in symmetries(count, height, width)]
    return [(k, invert) for k in symmetries(-(-count // 2), height, width) for invert in (False, True)][:count]


def average_over_symmetries(function, images, count, white=None):
    """The mean over the first ``count`` transforms of ``ensemble`` of ``function`` applied to the transformed
    images and mapped back: undo_dihedral(function(dihedral(x, k)), k), and for a negative
    undo_dihedral(white - function(white - dihedral(x, k)), k).

    A self-ensemble: ``function`` (a denoiser trained on all eight symmetries, and on negatives when ``white``
    is given) gives an equally good estimate for each, and their errors partly cancel. ``count`` = 1 is
    ``function(images)`` itself.

    Args:
        white: the value of white in ``images`` (1 for [0, 1], 255 for 0-255) to use negatives too; None: not.

    Shape:
        images (N, C, H, W) -> what ``function`` returns for them, (N, C', H, W).
    """
    chosen = ensemble(count, images.shape[2], images.shape[3], white is not None)
    total = None
    for k, invert in chosen:
        moved = dihedral(images, k)
        out = function(white - moved).neg_().add_(white) if invert else function(moved)  # uint8 in: float
        out = undo_dihedral(out, k)
        total = out if total is None else total.add_(out)
    return total.div_(len(chosen)) if len(chosen) > 1 else total


def random_symmetry():
    """Draw a symmetry 0-7 uniformly from torch's global generator (so a seed fixes it)."""
    return int(empty(1).random_(8).item())


def recolor(images, order, invert):
    """Return ``images`` (in [0, 1]) with their channels in ``order`` and, when ``invert``, as negatives (1 - x).

    Both map a Noise2Noise pair to another valid one when the noise is independent across channels and
    symmetric about the clean value (Gaussian, clipped at both ends alike): the permuted or negated noisy copies
    are still two independent noisy copies of the permuted or negated clean image.

    Shape:
        (N, C, H, W) -> (N, C, H, W), with ``order`` a permutation of range(C).
    """
    if list(order) != list(range(images.shape[1])):
        images = images[:, list(order)]
    return images.neg().add_(1) if invert else images


def random_color(channels):
    """Draw a channel order (uniform over the permutations of ``channels``) and whether to invert (1 in 2),
    from torch's global generator (so a seed fixes them)."""
    order = empty(channels).uniform_().argsort().tolist()
    return order, bool(empty(1).random_(2).item())
