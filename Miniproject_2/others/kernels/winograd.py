"""Nearest 2x upsampling + 3x3 convolution (padding 1) in nine products per input pixel: a Winograd-style form.

Along one axis, output phase 0 of input row i reads rows i-1, i, i with taps k0, k1, k2, and phase 1 reads i, i,
i+1: y0[i] = k0 x[i-1] + (k1 + k2) x[i] and y1[i] = (k0 + k1) x[i] + k2 x[i+1]. With z_X = (k0 + k1 + k2) x,
z_D0 = -k0 x and z_D1 = -k2 x (three products per input pixel instead of four):

    y0[i] = z_X[i] + z_D0[i] - z_D0[i-1],    y1[i] = z_X[i] + z_D1[i] - z_D1[i+1]    (zero outside the image).

Applied along rows then columns, the nine transformed kernels (``transform_weight``) make all four output phases
from one GEMM, Z = W9 X, of (9 O x C) by (C x H W) per image, and additions of shifted copies (``combine``): 9
multiply-adds per input pixel and channel pair, against 16 for the folded 2x2 kernels of ``subpixel`` (20.25 on
their 9x9 grid for 8x8 images) and 36 for the convolution at the upsampled size. The backward pass is the
adjoint: the output gradient's phases combined the other way (``combine_adjoint``) give dL/dZ = H, then
dL/dX = W9^T H and dL/dW9 = sum over images of H X^T, folded back onto the 3x3 kernel (``transform_weight_grad``).
C = 48, batch 64: the GEMMs of the forward pass, the input gradient and the weight gradient take 0.8-0.9 ms each
where the folded kernels' took 2.3-2.5 ms.
"""
from functools import lru_cache

from torch import arange, cat, empty

from .subpixel import interleaved

MIN_VALUES = 1 << 12  # below this many input values, or
MIN_PRODUCTS = 9 << 16  # this many input values times output channels, the planned folded kernels win
MAX_SCRATCH = 1 << 24  # values of the products Z per call (64 MB in float32): larger batches go in chunks
X, D0, D1 = 0, 1, 2  # the transformed taps along one axis: (1, 1, 1), (-1, 0, 0) and (0, 0, -1) times (k0, k1, k2)


def applies(scale, kernel, stride, padding, dilation, x, out_channels):
    """True when the block (``Upsampling``) is nearest 2x + 3x3 convolution with padding 1, stride and dilation
    1, and ``x`` is large enough for this form to beat the planned folded kernels (whose passes cost fewer
    operations: forward + backward of one block, 63 against 148 us at C = O = 16, 8x8 pixels, batch 1), but its
    products for one image, 9 O H W values, fit in MAX_SCRATCH (the folded kernels then use less memory).

    The thresholds sit near where the two broke even on 2 CPU threads (block alone, forward + backward): this
    form runs for 8x8 inputs with O = C from batch 36 / 4 / 1 at C = 16 / 48 / 100, and for 16x16 inputs with
    O = 3 from batch 48 / 16 / 8; the gain grows with C, the fixed cost of its additions with O."""
    values = x.numel()
    return (scale == (2, 2) and kernel == (3, 3) and stride == (1, 1) and padding == (1, 1) and dilation == (1, 1)
            and values >= MIN_VALUES and values * out_channels >= MIN_PRODUCTS
            and 9 * out_channels * x.shape[2] * x.shape[3] <= MAX_SCRATCH)


def transform_weight(weight):
    """Return W9 (9 O, C), rows ordered (row tap, column tap, output channel): the nine transformed kernels.

    W9[r', s'] = sum over r, s of A[r', r] A[s', s] w[:, :, r, s], with A's rows (1, 1, 1), (-1, 0, 0), (0, 0, -1):
    one GEMM by the Kronecker product of A with itself (``tap_matrix``).
    """
    o, c = weight.shape[:2]
    return tap_matrix(weight.dtype, weight.device).mm(weight.reshape(o * c, 9).t()).view(9 * o, c)


def transform_weight_grad(grad9, weight_grad):
    """Add dL/dw, given dL/dW9 (9 O, C), to ``weight_grad`` (O, C, 3, 3, contiguous): the adjoint of
    ``transform_weight``, dL/dw[r, s] = sum over r', s' of A[r', r] A[s', s] dL/dW9[r', s']."""
    o, c = weight_grad.shape[:2]
    weight_grad.view(o * c, 9).addmm_(grad9.view(9, o * c).t(), tap_matrix(grad9.dtype, grad9.device))


@lru_cache(maxsize=8)
def tap_matrix(dtype, device):
    """Return the (9, 9) matrix A (x) A that maps a 3x3 kernel's taps to the nine transformed ones."""
    a = empty((3, 3), dtype=dtype, device=device).zero_()
    a[X] = 1
    a[D0, 0] = -1
    a[D1, 2] = -1
    return (a.view(3, 1, 3, 1) * a.view(1, 3, 1, 3)).reshape(9, 9)


def combine(z, out, axis, spatial):
    """Write into ``out`` the two phases along ``spatial`` made of ``z``'s three tap products along ``axis``:
    out[a] = z[X] + z[Da] - shift_a(z[Da]), with shift_0 v[i] = v[i-1] and shift_1 v[i] = v[i+1].

    Shape:
        z (..., 3, ...) -> out (..., 2, ...), the size 3 and 2 along ``axis``.
    """
    length = z.shape[spatial]
    out.copy_(z.narrow(axis, D0, 2))
    out.select(axis, 0).narrow(spatial - 1, 1, length - 1).sub_(z.select(axis, D0).narrow(spatial - 1, 0, length - 1))
    out.select(axis, 1).narrow(spatial - 1, 0, length - 1).sub_(z.select(axis, D1).narrow(spatial - 1, 1, length - 1))
    out.add_(z.narrow(axis, X, 1))
    return out


def combine_adjoint(g, out, axis, spatial):
    """Write into ``out`` the adjoint of ``combine``: out[X] = g[0] + g[1], out[Da] = g[a] - shift_a^T(g[a]).

    Shape:
        g (..., 2, ...) -> out (..., 3, ...), the size 2 and 3 along ``axis``.
    """
    length = g.shape[spatial]
    out.select(axis, X).copy_(g.select(axis, 0)).add_(g.select(axis, 1))
    out.narrow(axis, D0, 2).copy_(g)
    out.select(axis, D0).narrow(spatial - 1, 0, length - 1).sub_(g.select(axis, 0).narrow(spatial - 1, 1, length - 1))
    out.select(axis, D1).narrow(spatial - 1, 1, length - 1).sub_(g.select(axis, 1).narrow(spatial - 1, 0, length - 1))
    return out


@lru_cache(maxsize=32)
def phase_index(channels, h, w, device):
    """Return the (C*2H*2W,) index that interleaves phases: output (c, 2i+a, 2j+b) reads phase (a, b)'s (c, i, j)
    from an image laid out (2, 2, C, H, W)."""
    positions = arange(4 * channels * h * w, device=device)
    index = positions.new_empty((1, channels, 2 * h, 2 * w))
    interleaved(index, (2, 2)).copy_(positions.view(1, 2, 2, channels, h, w))
    return index.view(-1)


def chunks(x, out_channels):
    """Yield ``(start, stop)`` ranges of images whose products (9 O H W values each) fit in MAX_SCRATCH."""
    n, _, h, w = x.shape
    step = max(1, MAX_SCRATCH // (9 * out_channels * h * w))
    for start in range(0, n, step):
        yield start, min(n, start + step)


def forward(x, weight9, bias, workspace):
    """Return conv2d(upsample_nearest(x, 2), weight, bias, padding=1), a fresh tensor.

    Args:
        x: the input; weight9: ``transform_weight(weight)``; bias (O,) or None: the convolution's.
        workspace: scratch memory (three roles of it, free after the call).

    Shape:
        x (N, C, H, W) -> (N, O, 2H, 2W)
    """
    o = weight9.shape[0] // 9
    parts = [_forward(x[start:stop], weight9, bias, workspace) for start, stop in chunks(x, o)]
    return parts[0] if len(parts) == 1 else cat(parts)


def _forward(x, weight9, bias, workspace):
    n, c, h, w = x.shape
    o = weight9.shape[0] // 9
    z = workspace.get("cols", (n, 9 * o, h * w), x)
    z.baddbmm_(weight9.expand(n, -1, -1), x.reshape(n, c, h * w), beta=0)
    z = z.view(n, 3, 3, o, h, w)
    if bias is not None:
        z[:, X, X].add_(bias.view(1, o, 1, 1))
    rows = combine(z, workspace.get("cols.pad", (n, 2, 3, o, h, w), x), 1, 4)
    phases = combine(rows, workspace.get("grad_cols", (n, 2, 2, o, h, w), x), 2, 5)
    out = phases.view(n, -1).index_select(1, phase_index(o, h, w, x.device))
    return out.view(n, o, 2 * h, 2 * w)


def backward(grad, x, weight9, weight_grad, bias_grad, input_grad, workspace):
    """Add dL/dweight and dL/dbias to ``weight_grad`` and ``bias_grad`` (None: no bias); return dL/dx (fresh)
    when ``input_grad``, else None. ``weight9``: the transformed weight ``forward`` used.

    Shape:
        grad (N, O, 2H, 2W), x (N, C, H, W) -> (N, C, H, W)
    """
    if bias_grad is not None:
        bias_grad.add_(grad.sum((0, 2, 3)))
    parts = [_backward(grad[start:stop], x[start:stop], weight9, weight_grad, input_grad, workspace)
             for start, stop in chunks(x, weight9.shape[0] // 9)]
    if not input_grad:
        return None
    return parts[0] if len(parts) == 1 else cat(parts)


def _backward(grad, x, weight9, weight_grad, input_grad, workspace):
    n, c, h, w = x.shape
    o = weight9.shape[0] // 9
    phases = workspace.get("grad_cols", (n, 2, 2, o, h, w), x)
    phases.copy_(interleaved(grad, (2, 2)))
    # dL/dZ is laid out image-major, (3, 3, O, N, H, W), so that dL/dW9 is one GEMM over all images.
    rows = combine_adjoint(phases, workspace.get("cols.pad", (n, 2, 3, o, h, w), x), 2, 5)
    h_rows = workspace.get("cols", (3, 3, o, n, h, w), x)
    combine_adjoint(rows, h_rows.permute(3, 0, 1, 2, 4, 5), 1, 4)
    x_rows = workspace.get("grad_cols.pad", (c, n, h * w), x)
    x_rows.copy_(x.reshape(n, c, h * w).transpose(0, 1))
    transform_weight_grad(h_rows.view(9 * o, -1).mm(x_rows.view(c, -1).t()), weight_grad)
    if not input_grad:
        return None
    by_image = h_rows.view(9 * o, n, h * w).transpose(0, 1)
    return weight9.t().expand(n, -1, -1).bmm(by_image).view(n, c, h, w)
