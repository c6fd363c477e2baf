"""Convolution as matrix products: im2col (patches to columns) and its adjoint col2im.

With ``cols = im2col(x)`` of shape (C*kh*kw, N*Ho*Wo), a convolution is ``weight.view(O, -1) @ cols``.
The adjoint ``col2im`` sums every column entry back onto the input pixel it was read from; it is the
gradient of im2col, and therefore also the forward pass of a transposed convolution.
"""
from functools import lru_cache

from torch.nn.functional import fold


def conv_output_size(size, kernel, stride, padding, dilation):
    """Return the output length of a convolution along one dimension (PyTorch's formula)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


@lru_cache(maxsize=256)
def output_size(h, w, kernel, stride, padding, dilation):
    """Return (Ho, Wo) for an (h, w) input, or None when the padded input is smaller than the dilated kernel.
    Cached: the layers ask on every pass, and at batch 1 the arithmetic in Python costs a small operation's share.
    """
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    if h + 2 * ph < dh * (kh - 1) + 1 or w + 2 * pw < dw * (kw - 1) + 1:
        return None
    return conv_output_size(h, kh, sh, ph, dh), conv_output_size(w, kw, sw, pw, dw)


def pad2d(x, padding):
    """Return ``x`` zero-padded by ``padding = (ph, pw)`` on both sides of the last two dimensions."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    n, c, h, w = x.shape
    out = x.new_zeros((n, c, h + 2 * ph, w + 2 * pw))
    out[:, :, ph:ph + h, pw:pw + w] = x
    return out


def im2col(x, kernel_size, stride, padding, dilation):
    """Gather the receptive field of every output pixel into a column.

    Args:
        x: input tensor (any strides).
        kernel_size, stride, padding, dilation: pairs of ints.

    Shape:
        x: (N, C, H, W) -> (C*kh*kw, N*Ho*Wo), rows ordered (c, i, j) like ``weight.view(O, -1)``,
        columns ordered (n, ho, wo).
    """
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    xp = pad2d(x, padding)
    n, c, hp, wp = xp.shape
    ho = (hp - dh * (kh - 1) - 1) // sh + 1
    wo = (wp - dw * (kw - 1) - 1) // sw + 1
    st_n, st_c, st_h, st_w = xp.stride()
    windows = xp.as_strided((c, kh, kw, n, ho, wo),
                            (st_c, dh * st_h, dw * st_w, st_n, sh * st_h, sw * st_w),
                            xp.storage_offset())
    return windows.reshape(c * kh * kw, n * ho * wo)


def col2im(cols, shape, kernel_size, stride, padding, dilation):
    """Sum columns back onto the image they were gathered from: the adjoint of ``im2col``.

    Args:
        cols: columns as produced by ``im2col``.
        shape: (N, C, H, W) of the image to rebuild.
        kernel_size, stride, padding, dilation: pairs of ints, as given to ``im2col``.

    Shape:
        cols: (C*kh*kw, N*Ho*Wo) -> (N, C, H, W)
    """
    n, c, h, w = shape
    blocks = cols.view(cols.shape[0], n, -1).permute(1, 0, 2)
    return fold(blocks, (h, w), kernel_size, dilation=dilation, padding=padding, stride=stride)


def channels_first(x):
    """Return ``x`` (N, C, H, W) as a matrix (C, N*H*W), the layout ``im2col`` columns use."""
    n, c, h, w = x.shape
    return x.permute(1, 0, 2, 3).reshape(c, n * h * w)


def batch_first(m, n, h, w):
    """Inverse of ``channels_first``: a matrix (C, N*H*W) back to a contiguous (N, C, H, W) tensor."""
    return m.view(m.shape[0], n, h, w).permute(1, 0, 2, 3).contiguous()
