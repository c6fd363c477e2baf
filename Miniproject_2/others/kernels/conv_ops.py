"""Fast convolution kernels: which one runs, and the im2col kernels (every layer short of very large ones).

Same maths as ``reference.py``, arranged for speed. For very large tensors with at least 8 channels per kernel
tap (``shifted.worth_it``: where im2col's columns would take hundreds of MiB), a convolution and its two gradients
are kh*kw GEMMs over shifted views of the input laid on a grid: ``shifted.py`` for stride 1, ``phases.py`` for
strided convolutions. Otherwise (every training step of the course network up to batch 256), im2col here:
- columns are built per image, (N, C*kh*kw, Ho*Wo), by one strided copy into scratch memory; a batched GEMM
  gives the output directly in (N, O, Ho, Wo) layout, with no transposition. Small columns (``keeps``) are
  built in the layer's own memory and kept for the weight gradient; larger ones go to memory shared by all
  layers (``Workspace``) and are rebuilt for the weight gradient, so that only one layer's exist at a time;
- for stride 1 and fewer output than input channels, the input gradient is the convolution of the output
  gradient with the flipped, transposed kernel (padding d*(k-1) - p), which builds columns of O*kh*kw rows
  instead of scattering C*kh*kw rows back; otherwise the columns W^T G are summed back onto the input, straight
  from the batched layout (``scatter.sum_columns``).
"""
from . import phases, scatter, shifted
from .im2col import conv_output_size, output_size
# SHARED and Workspace: used as conv_ops.*
from .workspace import SHARED, UNCACHED, Workspace, pad_role, padded  # noqa: F401

# The forward pass's columns are kept for the weight gradient (saving a padding and an im2col copy) up to KEEP_SMALL
# values, and up to KEEP values for layers with at most KEEP_OUT output channels (the U-Net's full-resolution layers
# at batch 8: about 10 % of a step). With many outputs the copy is a small share of the layer's time (K*P values
# per image against 2*O*K*P flops for each GEMM reading them): keeping every column up to KEEP saved no measurable
# time at batch 256 and cost 40 MiB of peak memory. Larger columns are rebuilt, one layer's at a time.
KEEP_SMALL = 1 << 20
KEEP = 1 << 22
KEEP_OUT = 64


def columns(x, kernel, stride, padding, dilation, workspace, name, into=None):
    """Return the im2col columns of every image, (N, C*kh*kw, Ho*Wo), in a reused buffer of ``workspace`` (of
    ``into`` when given; the padding is always ``workspace``'s), and (Ho, Wo).

    Shape:
        x (N, C, H, W) -> (N, C*kh*kw, Ho*Wo), rows ordered (c, i, j) like ``weight.view(O, -1)``.
    """
    plan = column_plan(x, kernel, stride, padding, dilation, workspace, name, into)
    return plan.cols, plan.ho, plan.wo


def column_plan(x, kernel, stride, padding, dilation, workspace, name, into=None):
    """Build the columns of ``x`` as ``columns`` does; return their ``ColumnPlan``.

    For small padded inputs, the views on the way (the padded buffer's inside, its windows, the columns) are kept
    per input shape, so a call is the two copies: at batch 1 finding the views again took as long.
    """
    space = workspace if into is None else into
    key = (name, x.shape, x.dtype, x.device, kernel, stride, padding, dilation, workspace)
    plan = space.plans.get(key)
    if plan is None or not plan.valid(workspace, space, x):
        plan = ColumnPlan(x, kernel, stride, padding, dilation, workspace, name, space)
        if plan.kept:
            space.plans[key] = plan
        return plan
    plan.fill(x)
    return plan


class ColumnPlan:
    """The views ``columns`` works with for one input shape; built by doing the work once (``x`` is then copied).

    Valid while neither workspace has replaced a buffer (``Workspace.generation``) and, for a padded input, the
    padded buffer's border is still zero (``Workspace.framed``); for an input without padding (``inside`` None),
    whose windows are a view of ``x`` itself, while ``x`` has the strides the windows were planned on. ``kept``
    is False for large inputs: not worth keeping their buffers alive.
    """

    def __init__(self, x, kernel, stride, padding, dilation, workspace, name, space):
        (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
        xp = padded(x, padding, workspace, name + ".pad")
        n, c, hp, wp = xp.shape
        self.ho, self.wo = conv_output_size(hp, kh, sh, 0, dh), conv_output_size(wp, kw, sw, 0, dw)
        st_n, st_c, st_h, st_w = xp.stride()
        size = (n, c, kh, kw, self.ho, self.wo)
        self.steps = (st_n, st_c, dh * st_h, dw * st_w, sh * st_h, sw * st_w)
        windows = xp.as_strided(size, self.steps, xp.storage_offset())
        self.blocks, self.size = space.get(name, size, x), size
        self.blocks.copy_(windows)
        self.cols = space.get(name, (n, c * kh * kw, self.ho * self.wo), x)
        self.inside, self.x_stride = None, x.stride()
        self.generations = (workspace.generation, space.generation)
        role = pad_role(name + ".pad", tuple(xp.shape))
        self.kept = role != name + ".pad"  # small: a padded buffer of its own for this shape, if padded at all
        if xp is not x and self.kept:  # the padded buffer's border stays zero
            # the key under which the Workspace files the padded role's frame (``framed``)
            self.frame = (role, x.dtype, x.device)
            self.border = (tuple(xp.shape), padding)
            self.inside = xp.as_strided(x.shape, xp.stride(), xp.storage_offset() + padding[0] * wp + padding[1])
            self.windows = windows

    def valid(self, workspace, space, x):
        if self.generations != (workspace.generation, space.generation):
            return False
        if self.inside is None:
            return x.stride() == self.x_stride
        return workspace.frames.get(self.frame) == self.border

    def fill(self, x):
        """Build the columns of ``x`` (an input for which ``valid`` holds)."""
        if self.inside is None:
            self.blocks.copy_(x.as_strided(self.size, self.steps, x.storage_offset()))
        else:
            self.inside.copy_(x)
            self.blocks.copy_(self.windows)


def forward(x, weight, bias, stride, padding, dilation, workspace, keeper=None, views=UNCACHED):
    """Return ``(output, columns)``: the convolution of ``x``, which rounds like F.conv2d (the GEMM starts from
    the bias), and, given a ``keeper`` (the calling layer's own Workspace, ``Workspace.of``), its im2col columns
    built there when ``keeps`` says so, for ``weight_grad`` to reuse; else None. The columns stay valid until the
    layer's next forward pass. ``views``: where the views of ``weight`` and ``bias`` are cached (the layer's
    own Workspace; here and in the gradients, at small batches a view costs as much as a small GEMM's share).

    Shape:
        x (N, C, H, W) -> output (N, O, Ho, Wo), columns (N, C*kh*kw, Ho*Wo)
    """
    if keeper is not None:
        plan = kept_plan(x, weight, bias, stride, padding, dilation, workspace, keeper)
        if plan is not None:
            plan.columns.fill(x)
            return plan.run(), plan.columns.cols
    grid = grid_form(stride, x.shape[1], x.numel(), padding, weight.shape[2:], dilation)
    if grid is shifted:
        return shifted.forward(x, weight, bias, padding, dilation, workspace), None
    if grid is phases:
        return phases.forward(x, weight, bias, stride, padding, dilation, workspace), None
    kernel = tuple(weight.shape[2:])
    if keeper is not None and not keeps(column_count(x.shape, kernel, stride, padding, dilation), weight.shape[0]):
        keeper = None
    columns_plan = column_plan(x, kernel, stride, padding, dilation, workspace, "cols", keeper)
    plan = ForwardPlan(columns_plan, weight, bias, workspace if keeper is None else keeper, views)
    if keeper is None:
        return plan.run(), None
    if columns_plan.kept:
        keeper.plans[("forward", x.shape, x.dtype, x.device, stride, padding, dilation)] = plan
    return plan.run(), columns_plan.cols


def kept_plan(x, weight, bias, stride, padding, dilation, workspace, keeper):
    """Return the ``ForwardPlan`` ``forward`` kept in ``keeper`` for this input and geometry if still valid, else
    None."""
    plan = keeper.plans.get(("forward", x.shape, x.dtype, x.device, stride, padding, dilation))
    return plan if plan is not None and plan.valid(x, weight, bias, workspace, keeper) else None


class ForwardPlan:
    """The GEMM of ``forward`` on the columns of a ``ColumnPlan``, with the views of weight and bias it reads.

    Kept with small kept columns, per input shape, so that a pass is the column copies and the GEMM: at C = 16,
    batch 1, deciding and finding the views again took about as long as the GEMM. Valid while the column plan
    is and weight and bias are the tensors it was made for, on the same memory.
    """

    def __init__(self, columns, weight, bias, space, views):
        n, k, pixels = columns.cols.shape
        o = weight.shape[0]
        self.columns = columns
        self.tensors = (weight, bias, weight.data_ptr(), None if bias is None else bias.data_ptr())
        self.shape, self.flat = (n, o, columns.ho, columns.wo), (n, o, pixels)
        self.weight, self.bias = views.view_of(weight, "matrix", matrix), None
        if bias is not None and n == 1:  # one addmm, not four operations: at batch 1 their number sets the time
            self.bias = views.view_of(bias, "column", lambda b: b.view(o, 1))
            self.matrix_cols = space.get("cols", (k, pixels), weight)
        elif bias is not None:
            self.weight, self.bias = self.weight.expand(n, -1, -1), bias.view(1, o, 1).expand(self.flat)

    def valid(self, x, weight, bias, workspace, keeper):
        same, same_bias, pointer, bias_pointer = self.tensors
        return (weight is same and bias is same_bias and weight.data_ptr() == pointer
                and (bias is None or bias.data_ptr() == bias_pointer) and self.columns.valid(workspace, keeper, x))

    def run(self, shape=None):
        """Return the convolution of the columns as they are now (``ColumnPlan.fill``), a fresh tensor, viewed as
        ``shape`` if given, else as (N, O, Ho, Wo)."""
        cols = self.columns.cols
        if self.bias is None:
            out = self.weight.matmul(cols)
        elif self.shape[0] == 1:
            out = self.bias.addmm(self.weight, self.matrix_cols)
        else:
            # A fresh copy, so the bias is never written; new_empty + copy_ costs a fraction of repeat at small sizes.
            out = cols.new_empty(self.flat).copy_(self.bias)
            out.baddbmm_(self.weight, cols)
        return out.view(self.shape if shape is None else shape)


def grid_form(stride, channels, values, padding, kernel, dilation):
    """Return the module whose grid kernels run a pass reading ``values`` values of ``channels`` channels per tap
    (``shifted``: stride 1 and padding <= d(k - 1); ``phases``: strided), or None for im2col. One call where three
    were: at batch 1 a Python call costs a fair share of a small tensor operation."""
    strided = stride != (1, 1)
    if not shifted.worth_it(channels, values, strided):
        return None
    if strided:
        return phases
    reach = shifted.reach_of(kernel, dilation)
    return shifted if padding[0] <= reach[0] and padding[1] <= reach[1] else None


def matrix(weight):
    """Return ``weight`` (O, C, kh, kw) as the (O, C*kh*kw) matrix of a GEMM."""
    return weight.reshape(weight.shape[0], -1)


def keeps(values, out_channels):
    """True when columns of ``values`` values of a layer with ``out_channels`` outputs are kept (see KEEP)."""
    return values <= KEEP_SMALL or (values <= KEEP and out_channels <= KEEP_OUT)


def column_count(x_shape, kernel, stride, padding, dilation):
    """Return how many values the im2col columns of an input of shape ``x_shape`` hold."""
    (n, c, h, w), (kh, kw) = x_shape, kernel
    ho, wo = output_size(h, w, kernel, stride, padding, dilation)
    return n * c * kh * kw * ho * wo


def weight_grad(grad, x, kernel, stride, padding, dilation, workspace, cols=None, into=None, views=UNCACHED,
                transposed=False):
    """dL/dW = sum over images of G_n X_n^T, with G_n (O, Ho*Wo) and X_n the columns of image n of ``x``.

    Returns dL/dW as (O, C*kh*kw), or, given ``into`` (a gradient tensor of the weight's shape), adds it to
    ``into`` in place and returns ``into``: where the last step is a GEMM, the GEMM accumulates, with no
    temporary and no separate addition. ``transposed``: return (dL/dW)^T, (C*kh*kw, O), without ``into``.

    ``cols``: the columns ``forward`` kept, if any. Otherwise they are rebuilt here: an extra strided
    copy, but only one large layer's columns ever exist at a time. ``views``: as for ``forward``.

    A batched GEMM then a sum over images makes an (N, O, C*kh*kw) intermediate; one GEMM over all images
    needs G and X laid out image-major first (two copies, none for one image). Whichever moves less memory is
    used. MKL runs these GEMMs faster with the longer side of the product as its columns (at batch 16, 48 outputs
    and 27 rows of columns: 115 us for G X^T, 72 for X G^T; 12 outputs, 192 rows: 170 against 282 us), so the
    product is computed that way round (``swapped``) where no accumulating GEMM into ``into`` is given up for it.
    """
    if transposed and into is not None:
        raise ValueError("weight_grad: into must be None when transposed is true")
    grid = None if cols is not None else grid_form(stride, x.shape[1], x.numel(), padding, kernel, dilation)
    if grid is shifted:
        return oriented(shifted.weight_grad(grad, x, kernel, padding, dilation, workspace), False, into, transposed)
    if grid is phases:
        value = phases.weight_grad(grad, x, kernel, stride, padding, dilation, workspace)
        return oriented(value, False, into, transposed)
    if cols is None:
        cols, _, _ = columns(x, kernel, stride, padding, dilation, workspace, "cols")
    n, o = grad.shape[:2]
    k, pixels = cols.shape[1:]
    if n == 1:
        x_t = views.view_of(cols, "columns.t", lambda t: t.view(k, pixels).t())
        return product(grad.reshape(o, pixels), x_t, into, views, transposed)
    g = grad.reshape(n, o, pixels)
    if o * k <= pixels * (o + k):
        swap = swapped(o, k, transposed)
        value = cols.bmm(g.transpose(1, 2)) if swap else g.bmm(cols.transpose(1, 2))
        return oriented(value.sum(0), swap, into, transposed)
    # The image-major copies go to scratch memory that is free during a weight gradient (fresh tensors of this
    # size would add to the peak memory of a large batch).
    g_rows = workspace.get("grad_cols", (o, n, pixels), grad)
    g_rows.copy_(g.transpose(0, 1))
    x_rows = workspace.get("grad_cols.pad", (k, n, pixels), grad)
    x_rows.copy_(cols.transpose(0, 1))
    return product(g_rows.view(o, -1), x_rows.view(k, -1).t(), into, views, transposed)


def product(a, b, into=None, views=UNCACHED, transposed=False):
    """Return a b, or add it to ``into`` (contiguous, a.shape[0] * b.shape[1] values) in place and return ``into``;
    ``transposed``: return (a b)^T, computed as b^T a^T when that has the longer side as its columns."""
    if transposed:
        return transposed_product(transposed_operands(a, b))
    if into is None:
        return a.mm(b)
    views.view_of(into, "product", lambda t: t.view(a.shape[0], b.shape[1])).addmm_(a, b)
    return into


def transposed_operands(a, b):
    """Return ``(left, right, flip)`` with (a b)^T = ``left.mm(right)``, transposed when ``flip``: b^T a^T where
    that has the longer side as its columns (``swapped``), else a b then a transposed view."""
    return (b.t(), a.t(), False) if swapped(a.shape[0], b.shape[1], True) else (a, b, True)


def transposed_product(operands):
    """Return (a b)^T from ``transposed_operands(a, b)``: ``left.mm(right)``, transposed when ``flip``."""
    left, right, flip = operands
    value = left.mm(right)
    return value.t() if flip else value


def swapped(o, k, transposed):
    """True when dL/dW of O outputs and K rows of columns is best computed as its transpose, (K, O): MKL runs the
    GEMM faster with the longer side as the output's columns; on a tie, in the layout asked for (``transposed``)."""
    return o > k or (o == k and transposed)


def oriented(value, swap, into=None, transposed=False):
    """Return dL/dW given ``value``: dL/dW, or its transpose (K, O) when ``swap``. As ``weight_grad`` returns
    it: (K, O) when ``transposed``; else added to ``into`` (which is returned), or as it is when not ``swap``."""
    if transposed:
        matrix = value.reshape(value.shape[0], -1)
        return matrix if swap else matrix.t()
    if swap:
        value = value.t()
    if into is None:
        return value
    into.view(value.shape).add_(value)
    return into


def input_grad(grad, weight, x_shape, stride, padding, dilation, workspace, views=UNCACHED):
    """Return dL/dx of a convolution from dL/dout (``views``: as for ``forward``; given a layer's own Workspace,
    the im2col forms are planned there per gradient shape, ``InputGradPlan``).

    For stride 1 and padding <= dilation * (kernel - 1), dL/dx[c, y, x] = sum over o, i, j of
    dL/dout[o, y + p - d i, x + p - d j] W[o, c, i, j]: a convolution of dL/dout, padded by d (k - 1) - p,
    with the kernel flipped in space and transposed in channels. Otherwise W^T G is summed back (col2im).
    """
    plans = None if views is UNCACHED else views.plans
    key = ("input_grad", grad.shape, grad.dtype, grad.device, x_shape, stride, padding, dilation)
    plan = None if plans is None else plans.get(key)
    if plan is not None and plan.valid(grad, weight, workspace):
        if plan.flipped:
            plan.columns.fill(grad)
        return plan.run(grad, weight)
    grid = grid_form(stride, weight.shape[0], grad.numel(), padding, weight.shape[2:], dilation)
    if grid is shifted:
        return shifted.input_grad(grad, weight, padding, dilation, workspace)
    if grid is phases:
        return phases.input_grad(grad, weight, x_shape, stride, padding, dilation, workspace)
    plan = InputGradPlan(grad, weight, x_shape, stride, padding, dilation, workspace, views)
    if plans is not None and plan.kept:
        plans[key] = plan
    return plan.run(grad, weight)


class InputGradPlan:
    """``input_grad`` on im2col for one gradient shape and geometry: which form runs, and what it reads.

    The flipped-kernel convolution keeps its column plan (the kernel is flipped at every call: its values change
    from step to step); col2im keeps the views of W^T, of the scratch columns and the scatter index. Valid while
    the weight is the tensor it was made for, on the same memory, and the shared scratch memory was not replaced.
    """

    def __init__(self, grad, weight, x_shape, stride, padding, dilation, workspace, views):
        (kh, kw), (dh, dw), (n, c, h, w) = weight.shape[2:], dilation, x_shape
        o, pixels = weight.shape[0], grad.shape[2] * grad.shape[3]
        self.tensors = (weight, weight.data_ptr(), workspace.generation)
        self.shape, reach = x_shape, (dh * (kh - 1), dw * (kw - 1))
        # The convolution form builds O*kh*kw rows per input pixel, col2im sums C*kh*kw per output pixel: the
        # smaller.
        self.flipped = (stride == (1, 1) and padding[0] <= reach[0] and padding[1] <= reach[1]
                        and o * h * w <= c * pixels)
        if self.flipped:
            pad = (reach[0] - padding[0], reach[1] - padding[1])
            self.columns = column_plan(grad, (kh, kw), (1, 1), pad, dilation, workspace, "grad_cols")
            self.kept = self.columns.kept
            return
        # A batched GEMM with the weight expanded over images, not matmul: matmul's broadcasting costs several more
        # operations. Its output goes to scratch memory (beta=0: overwritten, not read): as a fresh tensor it
        # reached 59 MB at C = 100, batch 256, past glibc's largest mmap threshold, so every step faulted its pages
        # in anew. The same memory as (N*C, kh*kw*Ho*Wo) rows: a view from the Workspace, not a reshape.
        self.transposed = views.view_of(weight, f"transposed.{n}", lambda w: matrix(w).t().expand(n, -1, -1))
        self.grad_cols = workspace.get("grad_cols", (n, c * kh * kw, pixels), grad)
        self.by_row = workspace.get("grad_cols", (n * c, kh * kw * pixels), grad)
        self.geometry, self.rows = ((kh, kw), stride, padding, dilation), (n, o, pixels)
        # Kept for small columns only: kept, its views would hold on to a large buffer the Workspace has replaced.
        self.kept = n * c * kh * kw * pixels <= KEEP_SMALL

    def valid(self, grad, weight, workspace):
        same, pointer, generation = self.tensors
        return (weight is same and weight.data_ptr() == pointer and workspace.generation == generation
                and (not self.flipped or self.columns.valid(workspace, workspace, grad)))

    def run(self, grad, weight):
        """Return dL/dx for ``grad`` (the flipped form's columns of ``grad`` built: ``ColumnPlan.fill``)."""
        n, c, h, w = self.shape
        if self.flipped:
            flipped = weight.flip(2, 3).transpose(0, 1).reshape(c, -1)
            return flipped.expand(n, -1, -1).bmm(self.columns.cols).view(n, c, h, w)
        self.grad_cols.baddbmm_(self.transposed, grad.reshape(self.rows), beta=0)
        return scatter.sum_columns(self.grad_cols, self.shape, *self.geometry, self.by_row)
