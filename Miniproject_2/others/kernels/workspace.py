"""Scratch memory shared by the convolution kernels, and zero padding into it."""
from weakref import WeakKeyDictionary


class Workspace:
    """Scratch memory reused from call to call: one flat buffer per role, dtype and device, grown as needed.

    Every convolution shares ``SHARED``, so scratch memory is that of the largest layer, not the sum over
    layers, and it is kept until ``clear`` (``Model`` clears it after ``train`` and ``predict``); a view handed
    out is only valid until the next ``get`` of the same role. The grid kernels (``shifted``, ``phases``)
    reuse im2col's four roles ("cols", "cols.pad", "grad_cols", "grad_cols.pad") rather than adding their own,
    so a network mixing both keeps four buffers, not eight.

    Views are cached per role and shape (``get``, ``strided``), views of parameters too (``view_of``, in a layer's
    own Workspace), and ``framed`` remembers which role still holds a zero border: at small batches a training
    step is dominated by the number of tensor operations, not their size (a view costs about 0.6 us, a cached
    one 0.13 us).
    """

    def __init__(self):
        self.buffers = {}
        self.views = {}
        self.frames = {}
        self.owned = WeakKeyDictionary()
        self.memo = {}
        self.plans = {}
        self.generation = 0  # counts the buffers replaced: views taken before a change may be stale

    def clear(self):
        """Release every buffer, the owners' (``of``) too (the next calls allocate afresh)."""
        self.buffers, self.views, self.frames, self.owned = {}, {}, {}, WeakKeyDictionary()
        self.memo, self.plans, self.generation = {}, {}, self.generation + 1

    def of(self, owner):
        """Return the Workspace of ``owner`` (a layer): memory only it writes, kept from call to call (a fresh
        allocation of megabytes costs as much as filling it, in page faults), released with the owner or by
        ``clear``."""
        own = self.owned.get(owner)
        if own is None:
            own = self.owned[owner] = Workspace()
        return own

    def get(self, name, shape, like):
        """Return a (garbage-filled) view of shape ``shape`` on the buffer ``name``, with ``like``'s dtype/device."""
        key = (name, like.dtype, like.device)
        self.frames.pop(key, None)  # the caller may write anywhere: no border is known to be zero any more
        view = self.views.get((key, shape))
        if view is None:
            count = 1
            for size in shape:
                count *= size
            flat = self.buffers.get(key)
            if flat is None or flat.numel() < count:
                flat = self.buffers[key] = like.new_empty(count)
                self.generation += 1
                self.views = {k: v for k, v in self.views.items() if k[0] != key}  # views of the old buffer
            view = self.views[(key, shape)] = flat[:count].view(shape)
        return view

    def strided(self, name, shape, like, size, stride, offset):
        """Return ``get(name, shape, like).as_strided(size, stride, offset)``, cached with ``get``'s views (until
        the buffer grows), and without ``get``'s effect on ``framed``: read-only bookkeeping for a view of a
        buffer the caller has just asked for (the inside of a padded tensor, a folded kernel's phases)."""
        key = ((name, like.dtype, like.device), shape, size, stride, offset)
        view = self.views.get(key)
        if view is None:
            view = self.views[key] = self.views[key[:2]].as_strided(size, stride, offset)
        return view

    def view_of(self, tensor, name, make):
        """Return ``make(tensor)``, a view of ``tensor`` (a parameter, a buffer of this workspace), cached under
        ``name`` for as long as ``tensor`` is the same object on the same memory (``Module.to`` and ``pack``
        move a parameter's memory and keep the object)."""
        entry = self.memo.get(name)
        if entry is None or entry[0] is not tensor or entry[1] != tensor.data_ptr():
            entry = self.memo[name] = (tensor, tensor.data_ptr(), make(tensor))
        return entry[2]

    def framed(self, name, shape, like, padding):
        """Return ``(view, ready)``: ``get``'s view, and whether its border of ``padding`` (ph, pw) is still zero.

        The border is zero when the previous call on this role was ``framed`` with the same shape and padding
        (its caller zeroed the border and wrote only inside it); otherwise the caller must zero it.
        """
        key = (name, like.dtype, like.device)
        ready = self.frames.get(key) == (shape, padding)
        view = self.get(name, shape, like)
        self.frames[key] = (shape, padding)
        return view, ready


class Uncached:
    """Stands in for a Workspace's ``view_of`` where no layer's own Workspace is given: builds every view."""

    @staticmethod
    def view_of(tensor, name, make):
        return make(tensor)


SHARED = Workspace()
UNCACHED = Uncached()
OWN_BUFFER = 1 << 18  # padded tensors below this many values get a buffer per shape, whose border stays zero


def pad_role(name, shape):
    """Return the Workspace role ``padded`` keeps a padded tensor of ``shape`` under."""
    return (name, shape) if shape[0] * shape[1] * shape[2] * shape[3] < OWN_BUFFER else name


def padded(x, padding, workspace, name):
    """Return ``x`` zero-padded by ``padding``, in a reused buffer (the border is zeroed only when needed).

    Small tensors get a buffer of their own per shape (``OWN_BUFFER``): in a network whose layers share a role,
    consecutive calls differ in shape, and zeroing the border costs small layers four more operations each.
    """
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    n, c, h, w = x.shape
    shape = (n, c, h + 2 * ph, w + 2 * pw)
    role = pad_role(name, shape)
    out, ready = workspace.framed(role, shape, x, padding)
    if not ready:
        out[:, :, :ph].zero_()
        out[:, :, ph + h:].zero_()
        out[:, :, ph:ph + h, :pw].zero_()
        out[:, :, ph:ph + h, pw + w:].zero_()
    inside = workspace.strided(role, shape, x, (n, c, h, w), out.stride(), out.storage_offset() + ph * shape[3] + pw)
    inside.copy_(x)
    return out
