"""Floating-point operation counts of the course network's training step (multiply-adds count 2)."""
import torch

from Miniproject_2.others.kernels import winograd


def conv_macs(c_in, c_out, k, h_out, w_out):
    """Multiply-accumulates of a dense convolution's forward pass, per image."""
    return c_in * c_out * k * k * h_out * w_out


def course_layers(width, size=32):
    """The course network's four 3x3 convolutions: ``(in channels, out channels, output size, needs input gradient,
    upsampling block)``."""
    c, s = width, size
    return [(3, c, s // 2, False, False), (c, c, s // 4, True, False), (c, c, s // 2, True, True),
            (c, 3, s, True, True)]


def course_training_flops(width, batch, size=32):
    """FLOPs of forward + backward (input and weight gradients) of the course network, as PyTorch computes it.

    The backward of each convolution costs two forward passes (input gradient and weight gradient), except the
    first layer, whose input gradient is not needed; activations, upsampling, loss and SGD are ignored
    (they are a few percent).
    """
    total = 0
    for c_in, c_out, out, needs_input_grad, _ in course_layers(width, size):
        total += conv_macs(c_in, c_out, 3, out, out) * (3 if needs_input_grad else 2)
    return 2 * total * batch


def course_executed_flops(width, batch, size=32):
    """FLOPs of the same step as our framework computes it: fewer than ``course_training_flops`` counts.

    The two convolutions run dense (im2col). Each upsampling block runs in nine products per input pixel and
    channel pair where ``winograd.applies`` (forward, input gradient and weight gradient: three passes), else as
    the folded 2x2 kernels of its four phases over an (H + 1) x (W + 1) grid (``subpixel``: 16 products per grid
    point). Activations, additions and copies are not counted.
    """
    total = 0
    for c_in, c_out, out, needs_input_grad, upsampling in course_layers(width, size):
        h = out // 2  # an upsampling block's input
        if not upsampling:
            total += conv_macs(c_in, c_out, 3, out, out) * (3 if needs_input_grad else 2)
        elif winograd.applies((2, 2), (3, 3), (1, 1), (1, 1), (1, 1),
                              torch.empty((batch, c_in, h, h), device="meta"), c_out):
            total += 3 * 9 * c_in * c_out * h * h
        else:
            total += 3 * 16 * c_in * c_out * (h + 1) * (h + 1)
    return 2 * total * batch
