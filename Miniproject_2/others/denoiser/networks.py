"""Named network architectures, built from a plain-data description (stored in model files)."""
from ..activation import LeakyReLU, ReLU, Sigmoid
from ..checks import check_int, check_number
from ..container import Add, Concat, Identity, Sequential
from ..conv import Conv2d
from ..upsampling import Upsampling


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


UNET_WIDTHS = (24, 48, 64, 64)  # the shipped model's


def unet(widths=UNET_WIDTHS, residual=True, negative_slope=0.1):
    """A U-Net: stride-2 convolutions down, upsampling convolutions up, the skips concatenated.

    Level l (width C_l) keeps its input for the skip, goes down with Conv(C_l -> C_l+1, s2), runs level l+1,
    comes back up with NearestUpsampling(2) + Conv(C_l+1 -> C_l), concatenates the skip and merges the
    2 C_l channels with Conv(2 C_l -> C_l); the last level is one Conv(C -> C). A head Conv(3 -> C_0) and a
    tail Conv(C_0 -> 3) wrap the levels; every kernel is 3x3 with padding 1, each followed by
    LeakyReLU but the tail. With ``residual`` the network predicts the correction to its input
    (``Add(Identity(), body)``), otherwise a Sigmoid bounds the output.

    Args:
        widths: channels per level, from full resolution down; len(widths) - 1 halvings.
        residual: output x + body(x) instead of sigmoid(body(x)).
        negative_slope: of every LeakyReLU.

    Shape:
        (N, 3, H, W) -> (N, 3, H, W) for H and W multiples of 2 ** (len(widths) - 1).
    """
    widths = [check_int(f"widths[{i}]", w, 1) for i, w in enumerate(widths)]
    if not widths:
        raise ValueError("widths must name at least one level")
    slope = check_number("negative_slope", negative_slope, minimum=0)
    body = Sequential(Conv2d(3, widths[0], 3, padding=1), LeakyReLU(slope), _level(widths, slope),
                      Conv2d(widths[0], 3, 3, padding=1))
    return Add(Identity(), body) if residual else Sequential(body, Sigmoid())


def _level(widths, slope):
    """One U-Net level of width widths[0] and, inside it, the levels below."""
    c = widths[0]
    if len(widths) == 1:
        return Sequential(Conv2d(c, c, 3, padding=1), LeakyReLU(slope))
    down = Sequential(Conv2d(c, widths[1], 3, stride=2, padding=1), LeakyReLU(slope), _level(widths[1:], slope),
                      Upsampling(widths[1], c, 3, scale_factor=2, padding=1), LeakyReLU(slope))
    return Sequential(Concat(Identity(), down), Conv2d(2 * c, c, 3, padding=1), LeakyReLU(slope))


# name -> (builder, a function of the description giving the input size multiple the network needs)
ARCHITECTURES = {"course": (course_network, lambda d: 4),
                 "unet": (unet, lambda d: 2 ** (len(d.get("widths", UNET_WIDTHS)) - 1))}


def build(description):
    """Build the network a description names, e.g. ``{"name": "course", "width": 48}``."""
    if not isinstance(description, dict) or description.get("name") not in ARCHITECTURES:
        raise ValueError(f"architecture must be a dict whose 'name' is one of {sorted(ARCHITECTURES)}, "
                         f"got {description!r}")
    builder, _ = ARCHITECTURES[description["name"]]
    return builder(**{k: v for k, v in description.items() if k != "name"})


def size_multiple(description):
    """Return the multiple that input height and width must be for the described network."""
    return ARCHITECTURES[description["name"]][1](description)
