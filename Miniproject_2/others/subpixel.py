"""Nearest upsampling followed by a "same" convolution, computed as one low-resolution convolution.

Along one dimension, with scale s, kernel k and padding p (2p = k - 1), the output pixel Y = s q + a
(phase a in [0, s)) reads upsampled pixels Y + i - p, i.e. input pixels q + m with m = floor((a + i - p) / s).
So each phase is a convolution of the low-resolution input with the folded kernel
W_a[m] = sum of w[i] over the i with floor((a + i - p) / s) = m, and all s*s phases together are one
convolution with s*s*O output channels, followed by a pixel shuffle. The upsampled image (s*s times larger)
and its s*s times larger columns are never built.
"""


def taps(scale, kernel, padding):
    """Return ``(pad, [(phase, i, m)])`` along one dimension: each kernel tap i of each phase lands on offset m.

    ``m`` is returned shifted by ``pad`` (so it indexes the folded kernel), and ``pad`` is the symmetric
    low-resolution padding, or None when the folded convolution would need asymmetric padding.
    """
    entries = [(a, i, (a + i - padding) // scale) for a in range(scale) for i in range(kernel)]
    low, high = min(m for _, _, m in entries), max(m for _, _, m in entries)
    pad = -low if -low == high else None
    return pad, [(a, i, m - low) for a, i, m in entries]


def supported(scale, kernel, stride, padding, dilation):
    """True when the fused form applies: stride 1, dilation 1, a "same" kernel and symmetric folded padding."""
    return (stride == (1, 1) and dilation == (1, 1) and all(2 * p == k - 1 for p, k in zip(padding, kernel))
            and all(taps(s, k, p)[0] is not None for s, k, p in zip(scale, kernel, padding)))


_TAP_MATRICES = {}


def tap_matrix(scale, kernel, padding, like):
    """Return A (scale * K', kernel) with A[a * K' + m, i] = 1 when tap i of phase a lands on offset m.

    Cached per geometry, dtype and device: the matrices are constants, and building one takes many tiny ops.
    """
    key = (scale, kernel, padding, like.dtype, like.device)
    if key not in _TAP_MATRICES:
        pad, entries = taps(scale, kernel, padding)
        size = 2 * pad + 1
        rows = [[0.0] * kernel for _ in range(scale * size)]
        for phase, i, m in entries:
            rows[phase * size + m][i] = 1.0
        _TAP_MATRICES[key] = like.new_tensor(rows)
    return _TAP_MATRICES[key]


def fold_weight(weight, scale, padding):
    """Return the folded kernel (sh*sw*O, C, K'h, K'w), rows ordered (phase_h, phase_w, o), and its padding.

    folded[a, b, o, c] = A_h[a] w[o, c] A_w[b]^T, with the tap matrices of ``tap_matrix``; computed as two
    plain GEMMs (one per spatial dimension) rather than O*C tiny ones.
    """
    (sh, sw), (o, c, kh, kw) = scale, weight.shape
    a_h, a_w = tap_matrix(sh, kh, padding[0], weight), tap_matrix(sw, kw, padding[1], weight)
    kh2, kw2 = a_h.shape[0] // sh, a_w.shape[0] // sw
    rows = a_h.mm(weight.permute(2, 0, 1, 3).reshape(kh, -1))  # (sh*K'h, O*C*kw)
    both = rows.view(-1, kw).mm(a_w.t())  # (sh*K'h*O*C, sw*K'w)
    folded = both.view(sh, kh2, o, c, sw, kw2).permute(0, 4, 2, 3, 1, 5).reshape(sh * sw * o, c, kh2, kw2)
    return folded, ((kh2 - 1) // 2, (kw2 - 1) // 2)


def unfold_weight_grad(grad_folded, weight_shape, scale, padding):
    """The adjoint of ``fold_weight``: dL/dw[o, c] = A_h^T dL/dW'[o, c] A_w, phases laid side by side."""
    (sh, sw), (o, c, kh, kw) = scale, weight_shape
    a_h, a_w = tap_matrix(sh, kh, padding[0], grad_folded), tap_matrix(sw, kw, padding[1], grad_folded)
    kh2, kw2 = a_h.shape[0] // sh, a_w.shape[0] // sw
    g = grad_folded.reshape(sh, sw, o, c, kh2, kw2).permute(0, 4, 2, 3, 1, 5).reshape(sh * kh2, -1)
    rows = a_h.t().mm(g)  # (kh, O*C*sw*K'w)
    both = rows.view(-1, sw * kw2).mm(a_w)  # (kh*O*C, kw)
    return both.view(kh, o, c, kw).permute(1, 2, 0, 3).contiguous()


def pixel_shuffle(x, scale):
    """(N, sh*sw*O, H, W) with channels ordered (phase_h, phase_w, o) -> (N, O, H*sh, W*sw)."""
    (sh, sw), (n, _, h, w) = scale, x.shape
    return x.view(n, sh, sw, -1, h, w).permute(0, 3, 4, 1, 5, 2).reshape(n, -1, h * sh, w * sw)


def pixel_unshuffle(x, scale):
    """The inverse of ``pixel_shuffle``: (N, O, H*sh, W*sw) -> (N, sh*sw*O, H, W)."""
    (sh, sw), (n, o, hs, ws) = scale, x.shape
    h, w = hs // sh, ws // sw
    return x.reshape(n, o, h, sh, w, sw).permute(0, 3, 5, 1, 2, 4).reshape(n, sh * sw * o, h, w)
