"""Floating-point operation counts of the course network's training step (multiply-adds count 2)."""


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
