"""Named network architectures, built from a plain-data description (stored in model files)."""
from .activation import ReLU, Sigmoid
from .checks import check_int
from .container import Sequential
from .conv import Conv2d
from .upsampling import Upsampling


def course_network(width=48):
    """The course network of the seed report's Table I.

    Conv(3->C, s2) ReLU, Conv(C->C, s2) ReLU, NearestUpsampling(2), Conv(C->C) ReLU,
    NearestUpsampling(2), Conv(C->3) Sigmoid; every kernel 3x3 with padding 1. Each upsampling and the
    convolution after it form one ``Upsampling`` block, which computes them as a single low-resolution
    convolution (``subpixel.py``); parameters are named ``4.conv.weight`` and ``6.conv.weight``.

    Args:
        width: the number of channels C.

    Shape:
        (N, 3, H, W) -> (N, 3, H, W) for H and W multiples of 4.
    """
    c = check_int("width", width, 1)
    return Sequential(Conv2d(3, c, 3, stride=2, padding=1), ReLU(),
                      Conv2d(c, c, 3, stride=2, padding=1), ReLU(),
                      Upsampling(c, c, 3, scale_factor=2, padding=1), ReLU(),
                      Upsampling(c, 3, 3, scale_factor=2, padding=1), Sigmoid())


# name -> (builder, the input size multiple the network needs)
ARCHITECTURES = {"course": (course_network, 4)}


def build(description):
    """Build the network a description names, e.g. ``{"name": "course", "width": 48}``."""
    if not isinstance(description, dict) or description.get("name") not in ARCHITECTURES:
        raise ValueError(f"architecture must be a dict whose 'name' is one of {sorted(ARCHITECTURES)}, "
                         f"got {description!r}")
    builder, _ = ARCHITECTURES[description["name"]]
    return builder(**{k: v for k, v in description.items() if k != "name"})


def size_multiple(description):
    """Return the multiple that input height and width must be for the described network."""
    return ARCHITECTURES[description["name"]][1]
