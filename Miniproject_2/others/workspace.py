"""Scratch memory shared by the convolution kernels, and zero padding into it."""


class Workspace:
    """Scratch memory reused from call to call: one flat buffer per role, dtype and device, grown as needed.

    Every convolution in training mode shares ``SHARED``, so scratch memory is that of the largest layer,
    not the sum over layers; a view handed out is only valid until the next ``get`` of the same role. The grid
    kernels (``shifted``, ``phases``) reuse im2col's four roles ("cols", "cols.pad", "grad_cols",
    "grad_cols.pad") rather than adding their own, so a network mixing both keeps four buffers, not eight.
    """

    def __init__(self):
        self.buffers = {}

    def get(self, name, shape, like):
        """Return a (garbage-filled) view of shape ``shape`` on the buffer ``name``, with ``like``'s dtype/device."""
        count = 1
        for size in shape:
            count *= size
        key = (name, like.dtype, like.device)
        flat = self.buffers.get(key)
        if flat is None or flat.numel() < count:
            flat = self.buffers[key] = like.new_empty(count)
        return flat[:count].view(shape)


SHARED = Workspace()


def padded(x, padding, workspace, name):
    """Return ``x`` zero-padded by ``padding``, in a reused buffer (only the border is zeroed)."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    n, c, h, w = x.shape
    out = workspace.get(name, (n, c, h + 2 * ph, w + 2 * pw), x)
    out[:, :, :ph].zero_()
    out[:, :, ph + h:].zero_()
    out[:, :, ph:ph + h, :pw].zero_()
    out[:, :, ph:ph + h, pw + w:].zero_()
    out[:, :, ph:ph + h, pw:pw + w] = x
    return out
