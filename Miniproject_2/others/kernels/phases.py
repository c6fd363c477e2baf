"""Strided convolutions as kh*kw GEMMs over shifted views of per-phase grids: no im2col copy.

Split the zero-padded input xp into its sh*sw phases, xp[:, :, a::sh, b::sw], each laid out channel-major on a
grid of Hq x Wq cells per image (Hq = ceil(Hp / sh), Wq = ceil(Wp / sw)) and flattened, X_ab (C, cells). Tap
(i, j) of output pixel (y, x) reads xp[y sh + dh i, x sw + dw j]: phase (dh i mod sh, dw j mod sw), cell
(y + dh i div sh, x + dw j div sw). So, with output pixel (y, x) of image n at column P = n*Hq*Wq + y*Wq + x,

    out[:, P] = sum over taps of W_ij X_ab[:, P + off_ij],    off_ij = (dh i div sh) Wq + (dw j div sw),

one GEMM per tap on a view of one phase, as in ``shifted`` (the stride-1 case, where there is one phase). The
backward passes use the same grids:

    dL/dW_ij = G X_ab[:, off_ij : off_ij + L]^T           (G: dL/dout on the grid, zero off the output pixels)
    dL/dX_ab[:, off_ij : off_ij + L] += W_ij^T G          (then the phases are put back in place: dL/dxp)

The valid outputs only read cells of their own image, so no padding is shared between images.
"""
from .shifted import from_grid, output_grid, tap_gemms, tap_weight_gemms
from .workspace import padded


def geometry(x_shape, kernel, stride, padding, dilation):
    """Return ((Hq, Wq), (Ho, Wo), [(a, b, i, j, off)]): grid size, output size and where each tap reads."""
    (_, _, h, w), (kh, kw), (sh, sw), (ph, pw), (dh, dw) = x_shape, kernel, stride, padding, dilation
    hp, wp = h + 2 * ph, w + 2 * pw
    hq, wq = -(-hp // sh), -(-wp // sw)
    size = ((hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw + 1)
    taps = [((dh * i) % sh, (dw * j) % sw, i, j, (dh * i) // sh * wq + (dw * j) // sw)
            for i in range(kh) for j in range(kw)]
    return (hq, wq), size, taps


def tail(taps):
    """Cells past the last image that the farthest tap reads (for the dropped columns only)."""
    return max(off for *_, off in taps)


def phase_grids(x, stride, padding, cells, extra, workspace, name):
    """Return the phases of zero-padded ``x`` on their grids, (sh, sw, C, N*Hq*Wq + extra), zero off the image."""
    (sh, sw), (hq, wq) = stride, cells
    xp = padded(x, padding, workspace, name + ".pad")
    n, c = xp.shape[:2]
    body = n * hq * wq
    flat = workspace.get(name, (sh, sw, c, body + extra), x)
    flat[..., body:].zero_()
    grids = flat[..., :body].view(sh, sw, c, n, hq, wq)
    for a in range(sh):
        for b in range(sw):
            phase = xp[:, :, a::sh, b::sw].transpose(0, 1)
            rows, cols = phase.shape[2:]
            grids[a, b, :, :, rows:].zero_()
            grids[a, b, :, :, :rows, cols:].zero_()
            grids[a, b, :, :, :rows, :cols] = phase
    return flat


def forward(x, weight, bias, stride, padding, dilation, workspace):
    """Return the strided convolution of ``x`` (a fresh tensor).

    Shape:
        x (N, C, H, W), weight (O, C, kh, kw), bias (O,) or None -> (N, O, Ho, Wo)
    """
    cells, size, taps = geometry(tuple(x.shape), tuple(weight.shape[2:]), stride, padding, dilation)
    grids = phase_grids(x, stride, padding, cells, tail(taps), workspace, "cols")
    sources = [(i, j, grids[a, b], off) for a, b, i, j, off in taps]
    acc = tap_gemms(weight, bias, sources, x.shape[0] * cells[0] * cells[1], workspace, x)
    return from_grid(acc, x.shape[0], size, cells)


def weight_grad(grad, x, kernel, stride, padding, dilation, workspace):
    """dL/dW of a strided convolution: per tap, G X_ab_shifted^T over the whole batch's grid.

    Shape:
        grad (N, O, Ho, Wo), x (N, C, H, W) -> (O, C, kh, kw)
    """
    cells, _, taps = geometry(tuple(x.shape), kernel, stride, padding, dilation)
    grids = phase_grids(x, stride, padding, cells, tail(taps), workspace, "cols")
    sources = [(i, j, grids[a, b], off) for a, b, i, j, off in taps]
    return tap_weight_gemms(output_grid(grad, cells, workspace), sources, kernel, x.shape[1])


def input_grad(grad, weight, x_shape, stride, padding, dilation, workspace):
    """dL/dx of a strided convolution: W_ij^T G added onto each tap's view of its phase, phases put back.

    Shape:
        grad (N, O, Ho, Wo), weight (O, C, kh, kw) -> (N, C, H, W)
    """
    n, c, h, w = x_shape
    (sh, sw), (ph, pw) = stride, padding
    cells, _, taps = geometry(x_shape, tuple(weight.shape[2:]), stride, padding, dilation)
    g = output_grid(grad, cells, workspace)
    body = g.shape[1]
    flat = workspace.get("grad_cols", (sh, sw, c, body + tail(taps)), grad)
    flat.zero_()
    wt = weight.permute(2, 3, 1, 0).contiguous()  # (kh, kw, C, O): each W_ij^T contiguous
    for a, b, i, j, off in taps:
        flat[a, b, :, off:off + body].addmm_(wt[i, j], g)
    grids = flat[..., :body].view(sh, sw, c, n, cells[0], cells[1])
    dxp = grad.new_empty((n, c, h + 2 * ph, w + 2 * pw))
    for a in range(sh):
        for b in range(sw):
            phase = dxp[:, :, a::sh, b::sw]
            phase.copy_(grids[a, b, :, :, :phase.shape[2], :phase.shape[3]].transpose(0, 1))
    return dxp[:, :, ph:ph + h, pw:pw + w]
