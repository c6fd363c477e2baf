"""The fused upsampling block's passes, planned for one input signature (``Upsampling``).

At batch 1 its forward pass is six tensor operations: fold the kernels, repeat the bias, the two column copies,
the GEMM and the phase gather. Finding again what they read (the folded kernels' views, the column plan, the
gather index) and checking the input took about as long as running them (C = 16: about 13 us of 30 per block).
A plan keeps those operands, so a pass is its operations and a few identity checks; likewise the backward pass's
phase grid, weight-gradient product and unfolding.
"""
from . import conv_ops, subpixel
from ..checks import TENSOR
from .workspace import OWN_BUFFER


class FusedPlan:
    """``Upsampling.forward`` in training mode with small kept columns, for one input shape, dtype and device.

    Valid while the compact convolution's ``conv_ops.ForwardPlan`` is (its columns, and the compact kernels and
    repeated bias it reads in the layer's Workspace) and the layer's weight and bias are the tensors it was made
    for, on the same memory.
    """

    def __init__(self, block, x, conv_plan, own):
        conv, scale = block.conv, block.upsample.scale_factor
        weight, bias = conv.weight, conv.bias
        self.key, self.geometry = (x.shape, x.dtype, x.device), geometry(block)
        self.parameters = (weight, weight.data_ptr(), bias, None if bias is None else bias.data_ptr())
        self.fold = subpixel.fold_operands(weight, scale, conv.padding, own)
        self.bias = block._bias_operands(own)
        self.conv = conv_plan
        windows = subpixel.windows_of(scale, conv.kernel_size, conv.padding)
        n, channels, ho, wo = conv_plan.shape
        size = (x.shape[2], x.shape[3])
        self.context = (self.fold[3], self.fold[4], windows, conv_plan.shape)
        self.gather = (scale, windows, size)
        self.index = subpixel.phase_index((channels, ho, wo), scale, windows, size, x.device)
        self.shape = (n, channels // (scale[0] * scale[1]), size[0] * scale[0], size[1] * scale[1])
        self.backward_operands = None  # built by the first backward pass after it (False: not planned)

    def valid(self, x, block, own):
        """True when ``forward`` may run for input ``x`` of ``block``, whose Workspace ``own`` has the plan."""
        conv = block.conv
        weight, pointer, bias, bias_pointer = self.parameters
        return (type(x) is TENSOR and conv.training and (x.shape, x.dtype, x.device) == self.key
                and geometry(block) == self.geometry and conv.weight is weight and conv.bias is bias
                and weight.data_ptr() == pointer and (bias is None or bias.data_ptr() == bias_pointer)
                and self.conv.valid(x, self.fold[3], None if bias is None else self.bias[2], conv_ops.SHARED, own))

    def forward(self, x, block):
        """Run ``block``'s fused forward pass on ``x`` and save its context, as ``Upsampling.forward`` does."""
        out, s, w = self.fold[:3]
        out.baddbmm_(s, w, beta=0)
        if self.bias is not None:
            self.bias[0].copy_(self.bias[1])
        self.conv.columns.fill(x)
        block.save_for_backward((x, x._version) + self.context + (self.conv.columns.cols, self))
        if self.index is None:
            return subpixel.gather_phases(self.conv.run(), *self.gather)
        return self.conv.run((self.shape[0], -1)).index_select(1, self.index).view(self.shape)

    def backward_valid(self, grad, block, own):
        """True when ``backward`` may run for output gradient ``grad`` after this plan's forward pass of ``block``:
        a small phase grid (kept in the layer's Workspace), still zero outside the windows, and the gradient
        tensors on the memory the plan's views read."""
        if self.backward_operands is None:
            y_shape, windows = self.conv.shape, self.gather[1]
            plannable = (y_shape[0] * y_shape[1] * y_shape[2] * y_shape[3] < OWN_BUFFER
                         and subpixel.window_steps(windows) is not None)  # as scatter_phases uses the grid
            self.backward_operands = self._backward_operands(block, own) if plannable else False
        if not self.backward_operands:
            return False
        frame, generation, gradient, pointer = self.backward_operands[:4]
        return (type(grad) is TENSOR and grad.shape == self.shape and (grad.dtype, grad.device) == self.key[1:]
                and own.generation == generation and own.frames.get(frame[0]) == frame[1]
                and block.conv._gradients["weight"] is gradient and gradient.data_ptr() == pointer)

    def _backward_operands(self, block, own):
        conv, (scale, windows, size) = block.conv, self.gather
        y_shape, like = self.conv.shape, self.fold[3]
        grid, phases = subpixel.phase_grid(scale, windows, y_shape, size, own, like)
        frame = (("phase_grad", like.dtype, like.device), (y_shape, windows))
        product = None
        if y_shape[0] == 1:  # dL/dW' transposed, (K, O'), as conv_ops.weight_grad computes it at batch 1
            o, k, pixels = y_shape[1], self.conv.columns.cols.shape[1], y_shape[2] * y_shape[3]
            g, x = grid.view(o, pixels), own.get("cols", (k, pixels), like)
            product = conv_ops.transposed_operands(g, x.t())
        gradient = conv._gradients["weight"]  # the bias gradient is added to as it is found, no view of it kept
        unfold = subpixel.unfold_operands(scale, conv.padding, gradient, own, like)
        return (frame, own.generation, gradient, gradient.data_ptr(), grid, phases, product, unfold,
                conv._gradients.get("bias"))

    def backward(self, grad, block, x, own):
        """Run ``block``'s fused backward pass (``Upsampling.backward``) for ``grad`` after the planned forward of
        ``x``; ``backward_valid`` must hold."""
        grid, phases, product, unfold, bias_grad = self.backward_operands[4:]
        compact, pad, _, _ = self.context
        phases.copy_(subpixel.interleaved(grad, self.gather[0]))
        if product is None:
            grad_t = conv_ops.weight_grad(grid, x, tuple(compact.shape[2:]), (1, 1), pad, (1, 1), conv_ops.SHARED,
                                          self.conv.columns.cols, views=own, transposed=True)
        else:
            grad_t = conv_ops.transposed_product(product)
        out, s, rows, into_view, permuted = unfold
        out.baddbmm_(s, grad_t.reshape(rows), beta=0)
        into_view.add_(permuted)
        if bias_grad is not None:
            bias_grad.add_(grad.sum((0, 2, 3)))
        if not block.needs_input_grad:
            return None
        return conv_ops.input_grad(grid, compact, tuple(x.shape), (1, 1), pad, (1, 1), conv_ops.SHARED, own)


def geometry(block):
    """The attributes of ``block`` (an ``Upsampling``) a plan depends on, which a user may change."""
    conv = block.conv
    return block.upsample.scale_factor, conv.kernel_size, conv.stride, conv.padding, conv.dilation
