"""Floating-point operation counts of the course network's training step (multiply-adds count 2)."""
import torch

from Miniproject_2.others import winograd


def conv_macs(c_in, c_out, k, h_out, w_out):
    """Multiply-accumulates of a dense convolution's forward pass, per image."""
    return c_in * c_out * k * k * h_out * w_out


def course_training_flops(width, batch, size=32):
    """FLOPs of forward + backward (input and weight gradients) of the course network, as PyTorch computes it.

    The backward of each convolution costs two forward passes (input gradient and weight gradient), except the
    first layer, whose input gradient is not needed; activations, upsampling, loss and SGD are ignored
    (they are a few percent).
    """
    c, s = width, size
    layers = [(3, c, s // 2, False), (c, c, s // 4, True), (c, c, s // 2, True), (c, 3, s, True)]
    total = 0
    for c_in, c_out, out, needs_input_grad in layers:
        macs = conv_macs(c_in, c_out, 3, out, out)
        total += macs * (3 if needs_input_grad else 2)
    return 2 * total * batch


def course_executed_flops(width, batch, size=32):
    """FLOPs of the same step as our framework computes it: fewer than ``course_training_flops`` counts.

    The two convolutions run dense (im2col). Each upsampling block runs in nine products per input pixel and
    channel pair where ``winograd.applies`` (forward, input gradient and weight gradient: three passes), else as
    the folded 2x2 kernels of its four phases over an (H + 1) x (W + 1) grid (``subpixel``: 16 products per grid
    point). Activations, additions and copies are not counted.
    """
    c, s = width, size
    total = 2 * conv_macs(3, c, 3, s // 2, s // 2) + 3 * conv_macs(c, c, 3, s // 4, s // 4)
    for c_in, c_out, h in ((c, c, s // 4), (c, 3, s // 2)):
        x = torch.empty((batch, c_in, h, h), device="meta")
        if winograd.applies((2, 2), (3, 3), (1, 1), (1, 1), (1, 1), x, c_out):
            total += 3 * 9 * c_in * c_out * h * h
        else:
            total += 3 * 16 * c_in * c_out * (h + 1) * (h + 1)
    return 2 * total * batch
