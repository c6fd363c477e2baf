"""Nearest-neighbour upsampling, alone and followed by a convolution."""
from .kernels import conv_ops, subpixel, winograd
from .checks import check_grad, check_input, check_like, check_unchanged, pair
from .conv import Conv2d
from .kernels.fused import FusedPlan
from .module import Module


class NearestUpsampling(Module):
    """Repeat every pixel ``scale_factor`` times along height and width (``nn.UpsamplingNearest2d``).

    Args:
        scale_factor: a positive int or a pair of positive ints (height, width).

    Shape:
        input (N, C, H, W) -> output (N, C, H * sh, W * sw).
    """

    def __init__(self, scale_factor):
        super().__init__()
        self.scale_factor = pair("scale_factor", scale_factor, 1)

    def forward(self, input):
        """Return ``input`` with each pixel repeated into an sh x sw block."""
        check_input(self, input)
        n, c, h, w = input.shape
        sh, sw = self.scale_factor
        self.save_for_backward(tuple(input.shape))
        return input.reshape(n, c, h, 1, w, 1).expand(n, c, h, sh, w, sw).reshape(n, c, h * sh, w * sw)

    def backward(self, gradwrtoutput):
        """Return dL/dinput: each input pixel receives the sum of the gradients of its sh x sw copies."""
        (shape,) = self.saved()
        n, c, h, w = shape
        sh, sw = self.scale_factor
        check_grad(self, gradwrtoutput, (n, c, h * sh, w * sw))
        # sh * sw strided views added one by one: much faster than a sum over two non-adjacent dimensions.
        copies = gradwrtoutput.reshape(n, c, h, sh, w, sw)
        total = copies[:, :, :, 0, :, 0].clone()
        for i in range(sh):
            for j in range(sw):
                if i or j:
                    total += copies[:, :, :, i, :, j]
        return total

    def extra_repr(self):
        return f"scale_factor={self.scale_factor}"


class Upsampling(Module):
    """Nearest-neighbour upsampling followed by a convolution: the course's suggested upsampling block.

    Args:
        in_channels, out_channels, kernel_size: as for ``Conv2d``.
        scale_factor: upsampling factor (int or pair), applied before the convolution.
        stride, padding, bias: as for ``Conv2d``.

    Shape:
        input (N, in_channels, H, W) -> output of ``Conv2d`` applied to (N, in_channels, H * sh, W * sw).
        ``weight`` and ``bias`` are the convolution's.
    """

    def __init__(self, in_channels, out_channels, kernel_size, scale_factor=2, stride=1, padding=0, bias=True):
        super().__init__()
        self.upsample = NearestUpsampling(scale_factor)
        self.conv = Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=bias)

    @property
    def weight(self):
        return self.conv.weight

    def requires_input_grad_(self, requires=True):
        """As ``Module.requires_input_grad_``; the convolution reads the upsampled input, so it follows."""
        self.conv.requires_input_grad_(requires)
        return super().requires_input_grad_(requires)

    @property
    def bias(self):
        return self.conv.bias

    def forward(self, input):
        """Upsample ``input`` then convolve it (as one low-resolution convolution when ``subpixel`` applies; in
        nine products per input pixel, ``winograd``, for nearest 2x + 3x3 with padding 1 on large inputs).

        Fused, each phase (a, b) of the output, out[:, :, a::sh, b::sw], is a window of one convolution of the
        input with the per-phase compact kernels (``subpixel.fold_weight``).
        """
        own = self.conv._own()
        plan = own.plans.get("Upsampling")
        if plan is not None and plan.valid(input, self, own):
            return plan.forward(input, self)
        check_input(self, input, self.conv.in_channels)
        conv, scale = self.conv, self.upsample.scale_factor
        if not subpixel.supported(scale, conv.kernel_size, conv.stride, conv.padding, conv.dilation):
            self.save_for_backward(None)
            return conv.forward(self.upsample.forward(input))
        check_like(self, "input", input, conv.weight)
        if winograd.applies(scale, conv.kernel_size, conv.stride, conv.padding, conv.dilation, input,
                            conv.out_channels):
            own.plans["Upsampling"] = None
            weight9 = winograd.transform_weight(conv.weight)
            self.save_for_backward((winograd, input, input._version, weight9))
            return winograd.forward(input, weight9, conv.bias, conv_ops.SHARED)
        compact, pad = subpixel.fold_weight(conv.weight, scale, conv.padding, own)
        windows = subpixel.windows_of(scale, conv.kernel_size, conv.padding)
        bias = self._repeated_bias(own)
        y, cols = conv_ops.forward(input, compact, bias, (1, 1), pad, (1, 1), conv_ops.SHARED, conv._keeper(own), own)
        kept = None if cols is None else conv_ops.kept_plan(input, compact, bias, (1, 1), pad, (1, 1),
                                                            conv_ops.SHARED, own)
        # Kept in the layer's Workspace, so that Workspace.clear releases the memory its views hold.
        plan = own.plans["Upsampling"] = None if kept is None else FusedPlan(self, input, kept, own)
        self.save_for_backward((input, input._version, compact, pad, windows, tuple(y.shape), cols, plan))
        return subpixel.gather_phases(y, scale, windows, tuple(input.shape[2:]))

    def _repeated_bias(self, own):
        """Return the bias repeated for every phase (the compact convolution's), in ``own``'s memory, or None."""
        operands = self._bias_operands(own)
        if operands is None:
            return None
        repeated, source, flat = operands
        repeated.copy_(source)
        return flat

    def _bias_operands(self, own):
        """Return ``(repeated, source, flat)``: ``repeated.copy_(source)`` repeats the bias for every phase into
        ``own``'s memory, which ``flat`` views as the compact convolution's bias; None without a bias."""
        bias = self.conv.bias
        if bias is None:
            return None
        phases = self.upsample.scale_factor[0] * self.upsample.scale_factor[1]
        repeated = own.get("fold.bias", (phases, bias.shape[0]), bias)
        source = own.view_of(bias, f"fold.bias.{phases}", lambda b: b.view(1, -1).expand(phases, -1))
        return repeated, source, own.get("fold.bias", (phases * bias.shape[0],), bias)

    def backward(self, gradwrtoutput):
        """Back through the convolution, then the upsampling (through the folded convolution when fused).

        Fused: with G' the output gradient laid back on the compact convolution's grid (``scatter_phases``),
        dL/dW' = sum over images of G' X^T (computed transposed, as X G'^T, the layout its unfolding reads),
        dL/dw its unfolding (``unfold_weight_grad``), and dL/dinput the compact convolution's input gradient.
        """
        (fused,) = self.saved()
        if fused is None:
            grad = self.conv.backward(gradwrtoutput)
            return None if grad is None else self.upsample.backward(grad)
        if fused[0] is winograd:
            return self._winograd_backward(gradwrtoutput, *fused[1:])
        input, version, compact, pad, windows, y_shape, cols, plan = fused
        check_unchanged(self, input, version)
        conv, scale, own = self.conv, self.upsample.scale_factor, self.conv._own()
        if plan is not None and plan.backward_valid(gradwrtoutput, self, own):
            return plan.backward(gradwrtoutput, self, input, own)
        shape = n, _, h, w = tuple(input.shape)
        check_grad(self, gradwrtoutput, (n, conv.out_channels, h * scale[0], w * scale[1]))
        g = subpixel.scatter_phases(gradwrtoutput, scale, windows, y_shape, own)
        grad_compact_t = conv_ops.weight_grad(g, input, tuple(compact.shape[2:]), (1, 1), pad, (1, 1),
                                              conv_ops.SHARED, cols, views=own, transposed=True)
        subpixel.unfold_weight_grad(grad_compact_t, scale, conv.padding, conv._gradients["weight"], own)
        if conv.bias is not None:
            conv._gradients["bias"] += gradwrtoutput.sum((0, 2, 3))
        if not self.needs_input_grad:
            return None
        return conv_ops.input_grad(g, compact, shape, (1, 1), pad, (1, 1), conv_ops.SHARED, own)

    def _winograd_backward(self, gradwrtoutput, input, version, weight9):
        """``backward`` of a forward pass ``winograd`` computed (with the weights it used, ``weight9``, as the
        folded kernels' input gradient uses theirs)."""
        check_unchanged(self, input, version)
        conv = self.conv
        n, _, h, w = input.shape
        check_grad(self, gradwrtoutput, (n, conv.out_channels, 2 * h, 2 * w))
        bias_grad = None if conv.bias is None else conv._gradients["bias"]
        return winograd.backward(gradwrtoutput, input, weight9, conv._gradients["weight"], bias_grad,
                                 self.needs_input_grad, conv_ops.SHARED)
