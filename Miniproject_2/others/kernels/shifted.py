"""Stride-1 convolutions as kh*kw GEMMs over shifted views of one flattened, padded grid: no im2col copy.

Lay the zero-padded batch out channel-major and flatten it to X (C, cells) (``grid``). Output pixel (y, x) of
image n sits at column P = n*Hg*Wg + y*Wg + x of the same grid, and kernel tap (i, j) reads the input at
P + off_ij with off_ij = dh*i*Wg + dw*j. So, for P in [0, L) with L = N*Hg*Wg,

    out[:, P] = sum over taps of W_ij X[:, P + off_ij],    W_ij = weight[:, :, i, j] (O, C),

and every term is one GEMM whose right factor is a slice of X's columns: a view, never a copy. Columns whose
(y, x) falls outside the Ho x Wo output are computed and dropped. The backward passes use the same grid:

    dL/dW_ij = G X[:, off_ij : off_ij + L]^T      (G: dL/dout on the grid, zero off the output pixels)
    dL/dx    = the stride-1 convolution of dL/dout, padded by d(k - 1) - p, with the flipped, transposed kernel.

The im2col form (``conv_ops``) copies every input value kh*kw times per pass; here each pass copies it once
(onto the grid) and runs kh*kw GEMMs over the whole batch. Those GEMMs need enough channels per tap and
enough columns to be efficient, hence ``worth_it`` (``conv_ops.grid_form`` picks the kernels). ``tap_gemms``,
``tap_weight_gemms``, ``output_grid`` and ``from_grid`` serve ``phases.py`` too.
"""
# The kh*kw GEMMs per pass need enough rows (channels per tap) to run well. Since im2col's input gradient is summed
# by ``scatter_add_`` (``scatter.py``), im2col has been the faster form on 2 CPU threads: course-network steps at
# batch 256 took 12-21 % less time than with these kernels from 2^20 values on, U-Net inference on 100 32x32
# images 16-21 % less, on 16 tiles of 192x192 625 against 873 ms (one tile: 38 against 33 ms, the grid ahead).
# What the grid saves is memory: a pass never holds the kh*kw times larger columns (those 16 tiles: 785 against
# 1514 MiB), so these kernels take over where columns would reach hundreds of MiB.
# Stride-1 passes are the exception since 2026-12-07: with them on the grid from 2^17 values on, the shipped U-Net's
# training step at batch 8 (its merging layers hold 2^17.6-2^18.6 values) took 31-37 instead of 40 ms on one thread
# and Model.train ran 3-4 % faster on two, while strided passes from there (phases.py) made most course-network
# steps 2-22 % slower (docs/speed.md, "The grid for stride 1").
MIN_CHANNELS = 8
MIN_VALUES = 1 << 23  # values of the tensor laid on the grid (N*C*H*W); 3x3 columns: 2^26+ values, 288 MiB+
MIN_VALUES_STRIDE_1 = 1 << 17  # the same for stride-1 passes (never above MIN_VALUES)


def worth_it(channels, values, strided=True):
    """True when a tensor of ``values`` values with ``channels`` channels per tap is big enough for tap GEMMs."""
    minimum = MIN_VALUES if strided else min(MIN_VALUES, MIN_VALUES_STRIDE_1)
    return channels >= MIN_CHANNELS and values >= minimum


def reach_of(kernel, dilation):
    """Return d(k - 1) per dimension: how far past its output pixel a kernel reads."""
    return dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1)


def grid(x, padding, reach, workspace, name):
    """Lay ``x`` out channel-major on the grid: return it flattened (C, N*Hg*Wg + tail) and (Hg, Wg).

    Image n's pixel (r, c) sits at n*Hg*Wg + (ph + r)*Wg + pw + c with Hg = H + ph, Wg = W + pw: the ph zero
    rows above an image are also the bottom padding of the one before it, and the pw zero columns left of a
    row the right padding of the row before (a read past the right edge wraps into them). Sharing the padding
    wastes fewer GEMM columns on small images (4x4: 25 grid cells per 16 pixels instead of 36). A zero tail of
    reach_h rows and reach_w cells keeps the last image's taps inside the buffer. Needs padding <= reach, so
    that Ho <= Hg and Wo <= Wg.
    """
    n, c, h, w = x.shape
    (ph, pw) = padding
    hg, wg = h + ph, w + pw
    body = n * hg * wg
    flat = workspace.get(name, (c, body + reach[0] * wg + reach[1]), x)
    flat[:, body:].zero_()
    cells = flat[:, :body].view(c, n, hg, wg)
    cells[:, :, :ph].zero_()
    cells[:, :, ph:, :pw].zero_()
    cells[:, :, ph:, pw:] = x.transpose(0, 1)
    return flat, (hg, wg)


def offsets(kernel, dilation, wg):
    """Return [(i, j, off_ij)]: where on the flattened grid each kernel tap reads, relative to its output pixel."""
    (kh, kw), (dh, dw) = kernel, dilation
    return [(i, j, dh * i * wg + dw * j) for i in range(kh) for j in range(kw)]


def tap_gemms(weight, bias, sources, length, workspace, like):
    """Return acc (O, length) = bias + sum over taps of W_ij src[:, off + P].

    Args:
        sources: [(i, j, src, off)]: tap (i, j) reads the flat grid ``src`` (C, cells) ``off`` columns ahead.
    """
    o = weight.shape[0]
    acc = workspace.get("grad_cols", (o, length), like)
    if bias is None:
        acc.zero_()
    else:
        acc.copy_(bias.view(o, 1).expand(o, length))
    w = weight.permute(2, 3, 0, 1).contiguous()  # (kh, kw, O, C): each W_ij contiguous for the GEMM
    for i, j, src, off in sources:
        acc.addmm_(w[i, j], src[:, off:off + length])
    return acc


def tap_weight_gemms(g, sources, kernel, channels):
    """Return dL/dW (O, C, kh, kw): per tap, G src[:, off + P]^T, with G = ``g`` (O, L)."""
    out = g.new_empty((kernel[0], kernel[1], g.shape[0], channels))
    for i, j, src, off in sources:
        out[i, j].addmm_(g, src[:, off:off + g.shape[1]].t(), beta=0)
    return out.permute(2, 3, 0, 1)


def output_grid(grad, cells, workspace):
    """dL/dout laid on a grid of ``cells`` = (Hg, Wg) per image, (O, N*Hg*Wg), zero off the output pixels."""
    n, o, ho, wo = grad.shape
    g = workspace.get("grad_cols.pad", (o, n, cells[0], cells[1]), grad)
    g[:, :, ho:].zero_()
    g[:, :, :ho, wo:].zero_()
    g[:, :, :ho, :wo] = grad.transpose(0, 1)
    return g.view(o, -1)


def from_grid(acc, n, size, cells):
    """Read output pixel (y, x) of image n back from grid column n*Hg*Wg + y*Wg + x: (N, O, Ho, Wo), fresh."""
    (ho, wo), (hg, wg) = size, cells
    pixels = acc.as_strided((n, acc.shape[0], ho, wo), (hg * wg, acc.shape[1], wg, 1), acc.storage_offset())
    # A copy even when the view happens to be contiguous (a 1x1 convolution of one image): ``acc`` is scratch.
    return pixels.new_empty(pixels.shape).copy_(pixels)


def forward(x, weight, bias, padding, dilation, workspace):
    """Return the stride-1 convolution of ``x`` (a fresh tensor); needs padding <= d(k - 1).

    Shape:
        x (N, C, H, W), weight (O, C, kh, kw), bias (O,) or None -> (N, O, Ho, Wo)
    """
    (n, _, h, w), kernel = x.shape, tuple(weight.shape[2:])
    reach = reach_of(kernel, dilation)
    flat, cells = grid(x, padding, reach, workspace, "cols")
    sources = [(i, j, flat, off) for i, j, off in offsets(kernel, dilation, cells[1])]
    acc = tap_gemms(weight, bias, sources, n * cells[0] * cells[1], workspace, x)
    return from_grid(acc, n, (h + 2 * padding[0] - reach[0], w + 2 * padding[1] - reach[1]), cells)


def weight_grad(grad, x, kernel, padding, dilation, workspace):
    """dL/dW of a stride-1 convolution: per tap, G X_shifted^T over the whole batch's grid.

    Shape:
        grad (N, O, Ho, Wo), x (N, C, H, W) -> (O, C, kh, kw)
    """
    flat, cells = grid(x, padding, reach_of(kernel, dilation), workspace, "cols")
    sources = [(i, j, flat, off) for i, j, off in offsets(kernel, dilation, cells[1])]
    return tap_weight_gemms(output_grid(grad, cells, workspace), sources, kernel, x.shape[1])


def input_grad(grad, weight, padding, dilation, workspace):
    """dL/dx of a stride-1 convolution with padding <= d(k - 1): the flipped-kernel convolution of dL/dout.

    dL/dx[c, y, x] = sum over o, i, j of dL/dout[o, y + p - d i, x + p - d j] W[o, c, i, j].

    Shape:
        grad (N, O, Ho, Wo), weight (O, C, kh, kw) -> (N, C, H, W)
    """
    reach = reach_of(tuple(weight.shape[2:]), dilation)
    flipped = weight.flip(2, 3).transpose(0, 1)
    return forward(grad, flipped, None, (reach[0] - padding[0], reach[1] - padding[1]), dilation, workspace)
