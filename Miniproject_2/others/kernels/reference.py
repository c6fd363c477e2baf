"""The plain, readable convolution: im2col + one GEMM forward, col2im (fold) backward.

``Conv2d`` runs the faster kernels of ``conv_ops.py``; the tests check both against autograd and against each
other, so this file is the specification the fast path must keep to.
"""
from .im2col import batch_first, channels_first, col2im, im2col


def conv2d_forward(x, weight, bias, stride, padding, dilation):
    """Return ``(output, columns)`` of a convolution.

    Shape:
        x (N, C, H, W), weight (O, C, kh, kw), bias (O,) or None -> output (N, O, Ho, Wo),
        columns (C*kh*kw, N*Ho*Wo).
    """
    n, o = x.shape[0], weight.shape[0]
    kernel = tuple(weight.shape[2:])
    cols = im2col(x, kernel, stride, padding, dilation)
    w2d = weight.reshape(o, -1)
    out = w2d.mm(cols) if bias is None else bias.view(-1, 1).addmm(w2d, cols)
    h = (x.shape[2] + 2 * padding[0] - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
    return batch_first(out, n, h, out.shape[1] // (n * h)), cols


def conv2d_backward(grad, cols, x_shape, weight, stride, padding, dilation):
    """Return ``(dL/dx, dL/dweight, dL/dbias)`` of a convolution.

    With G = dL/dout as a matrix (O, N*Ho*Wo) and X the im2col columns: dL/dW = G X^T, dL/db = G summed
    over its columns, dL/dX = W^T G, and dL/dx = col2im(dL/dX).
    """
    o = weight.shape[0]
    g = channels_first(grad)
    grad_cols = weight.reshape(o, -1).t().mm(g)
    grad_x = col2im(grad_cols, x_shape, tuple(weight.shape[2:]), stride, padding, dilation)
    return grad_x, g.mm(cols.t()).view(weight.shape), g.sum(1)
