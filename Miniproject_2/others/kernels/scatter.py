"""col2im kernels: im2col columns summed back onto the image they were read from (``im2col.col2im``, fast).

Times on 2 CPU threads for a 3x3 stride-2 input gradient of 48 channels, 16x16 pixels (fold / ``scatter_columns``
/ ``scatter_indexed``): batch 4, 78 / 114 / 34 us; batch 16, 309 / 208 / 122 us; batch 256, 5.4 / 9.6 / 2.1 ms.
At stride 1 with rows of 16 pixels or more, ``scatter_columns``'s additions run on contiguous rows and win:
2x2 kernel, 48 channels, 16x16, batch 8: 237 / 59 / 123 us; with 8x8 pixels, 109 / 58 / 53 us (64 channels).
"""
from functools import lru_cache

from torch import arange
from torch.nn.functional import fold

from .im2col import output_size

SMALL = 1 << 16  # off the CPU, below this many input values fold's one call beats kh*kw strided additions
LONG_ROWS = 16  # at stride 1, from this image width on the strided additions beat the indexed scatter


def sum_columns(cols, shape, kernel, stride, padding, dilation, by_row=None):
    """Return col2im of ``cols`` by the kernel fastest for its geometry and device (see the module's timings).

    Off the CPU, fold or ``scatter_columns``: ``scatter_add_`` there adds with atomics, in no fixed order, so
    results would change from run to run. ``by_row``: ``cols`` viewed as (N*C, kh*kw*Ho*Wo), if the caller has it.

    Shape:
        cols (N, C*kh*kw, Ho*Wo) -> (N, C, H, W), possibly a view with strides of its own.
    """
    n, c, h, w = shape
    if stride == (1, 1) and w >= LONG_ROWS:
        return scatter_columns(cols, shape, kernel, stride, padding, dilation)
    if cols.device.type == "cpu":
        return scatter_indexed(cols, shape, kernel, stride, padding, dilation, by_row)
    if n * c * h * w < SMALL:
        return fold(cols, (h, w), kernel, dilation=dilation, padding=padding, stride=stride)
    return scatter_columns(cols, shape, kernel, stride, padding, dilation)


def scatter_indexed(cols, shape, kernel, stride, padding, dilation, by_row=None):
    """col2im as one ``scatter_add_`` per (image, channel) row: each column entry is added to the pixel it was
    read from (``pixel_index``). Entries that read the zero padding go to one spare cell past the row's pixels,
    dropped from the view returned. Returns a fresh tensor. ``by_row``: as for ``sum_columns``.

    Shape:
        cols (N, C*kh*kw, Ho*Wo) -> (N, C, H, W), rows H*W + 1 apart.
    """
    n, c, h, w = shape
    index = scatter_index((h, w), kernel, stride, padding, dilation, cols.device, n * c)
    out = cols.new_zeros((n * c, h * w + 1))
    out.scatter_add_(1, index, cols.reshape(n * c, -1) if by_row is None else by_row)
    return out.as_strided(shape, (c * (h * w + 1), h * w + 1, w, 1))


@lru_cache(maxsize=16)  # views: they hold on to at most 16 of pixel_index's tensors past its own cache
def scatter_index(size, kernel, stride, padding, dilation, device, rows):
    """Return ``pixel_index`` expanded to ``rows`` rows (a view), as ``scatter_add_`` reads it."""
    return pixel_index(size, kernel, stride, padding, dilation, device).expand(rows, -1)


@lru_cache(maxsize=32)  # a constant per geometry; images of many sizes (``bin/denoise``) should not pile up
def pixel_index(size, kernel, stride, padding, dilation, device):
    """Return (kh*kw*Ho*Wo,) int64: where im2col's entry (i, j, y, x) of one channel was read from, as
    y' * W + x' with y' = s_h y + d_h i - p_h (and x' alike), or H*W when (y', x') is in the padding."""
    (h, w), (kh, kw), (sh, sw), (ph, pw), (dh, dw) = size, kernel, stride, padding, dilation
    ho, wo = output_size(h, w, kernel, stride, padding, dilation)
    rows = arange(kh, device=device).view(kh, 1, 1, 1) * dh + arange(ho, device=device).view(1, 1, ho, 1) * sh - ph
    cols = arange(kw, device=device).view(1, kw, 1, 1) * dw + arange(wo, device=device).view(1, 1, 1, wo) * sw - pw
    inside = rows.ge(0) & rows.lt(h) & cols.ge(0) & cols.lt(w)
    return (rows * w + cols).where(inside, h * w).reshape(-1)


def scatter_columns(cols, shape, kernel, stride, padding, dilation):
    """col2im by kh*kw strided additions; returns a fresh tensor.

    Kernel tap (i, j) of every output pixel read the padded input at (d_h i + s_h y, d_w j + s_w x), so its
    column rows are added back onto that strided grid; the padding is cropped at the end.

    Shape:
        cols (N, C*kh*kw, Ho*Wo) -> (N, C, H, W)
    """
    n, c, h, w = shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    out = cols.new_zeros((n, c, h + 2 * ph, w + 2 * pw))
    ho, wo = output_size(h, w, kernel, stride, padding, dilation)
    taps = cols.view(n, c, kh, kw, ho, wo)
    o_n, o_c, o_y, o_x = out.stride()
    t_n, t_c, t_i, t_j, t_y, t_x = taps.stride()
    # as_strided views rather than slicing: at small sizes the cost of this loop is its number of operations.
    for i in range(kh):
        for j in range(kw):
            onto = out.as_strided((n, c, ho, wo), (o_n, o_c, sh * o_y, sw * o_x), i * dh * o_y + j * dw * o_x)
            onto.add_(taps.as_strided((n, c, ho, wo), (t_n, t_c, t_y, t_x), taps.storage_offset() + i * t_i + j * t_j))
    return out.as_strided((n, c, h, w), out.stride(), ph * o_y + pw * o_x)
