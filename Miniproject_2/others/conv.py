"""2-D convolution."""
from .kernels import conv_ops
from .checks import check_choice, check_grad, check_input, check_int, check_like, check_unchanged, pair
from .kernels.conv_plan import ConvPlan
from .kernels.im2col import output_size
from .init import uniform
from .module import Module


class ConvBase(Module):
    """What Conv2d and TransposeConv2d share: argument checks and PyTorch's parameter initialisation."""

    def _setup(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, padding_mode):
        self.in_channels = check_int("in_channels", in_channels, 1)
        self.out_channels = check_int("out_channels", out_channels, 1)
        self.kernel_size = pair("kernel_size", kernel_size, 1)
        self.stride = pair("stride", stride, 1)
        self.padding = pair("padding", padding, 0)
        self.dilation = pair("dilation", dilation, 1)
        check_choice("groups", groups, (1,))
        check_choice("padding_mode", padding_mode, ("zeros",))

    def _make_parameters(self, weight_shape, bias, device, dtype):
        # PyTorch takes fan_in from the weight's dimension 1 (in_channels for Conv2d, out_channels for a
        # transposed convolution) and draws weight and bias uniformly in +-1/sqrt(fan_in).
        bound = (weight_shape[1] * weight_shape[2] * weight_shape[3]) ** -0.5
        self.register_parameter("weight", uniform(weight_shape, bound, device, dtype))
        if bias:
            self.register_parameter("bias", uniform((self.out_channels,), bound, device, dtype))
        else:
            self.bias = None


class Conv2d(ConvBase):
    """2-D convolution (cross-correlation), as ``torch.nn.Conv2d``.

    Args:
        in_channels, out_channels: channels of the input and the output.
        kernel_size, stride, padding, dilation: an int or a pair of ints (height, width).
        groups: only 1 is supported (kept for PyTorch's argument order).
        bias: whether to add a learnt bias.
        padding_mode: only ``'zeros'`` is supported.
        device, dtype: where and how the parameters are created.

    Shape:
        input (N, in_channels, H, W) -> output (N, out_channels, Ho, Wo) with
        Ho = (H + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1, likewise Wo.
        weight: (out_channels, in_channels, kh, kw); bias: (out_channels,).
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        self._setup(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, padding_mode)
        self._make_parameters((out_channels, in_channels) + self.kernel_size, bias, device, dtype)

    def forward(self, input):
        """Convolve ``input`` (N, in_channels, H, W) and return (N, out_channels, Ho, Wo)."""
        own = self._own()
        plan = own.plans.get("Conv2d")
        if plan is not None and plan.valid(input, self, own):
            return plan.forward(input, self)
        check_input(self, input, self.in_channels)
        check_like(self, "input", input, self.weight)
        self._output_size(*input.shape[2:])
        geometry = (self.stride, self.padding, self.dilation)
        out, cols = conv_ops.forward(input, self.weight, self.bias, *geometry, conv_ops.SHARED, self._keeper(own), own)
        kept = None if cols is None else conv_ops.kept_plan(input, self.weight, self.bias, *geometry,
                                                            conv_ops.SHARED, own)
        # Kept in the layer's Workspace, so that Workspace.clear releases the memory its views hold.
        plan = own.plans["Conv2d"] = None if kept is None else ConvPlan(self, input, kept, own)
        self.save_for_backward(input, input._version, cols, plan)
        return out

    def backward(self, gradwrtoutput):
        """Accumulate dL/dweight and dL/dbias; return dL/dinput (None after ``requires_input_grad_(False)``).

        dL/dW = sum over images of G X^T (G = dL/dout as (O, Ho*Wo), X the columns), dL/db = G summed over
        images and pixels, and dL/dinput by ``conv_ops.input_grad`` (see ``reference.py`` for the plain form).
        """
        input, version, cols, plan = self.saved()
        check_unchanged(self, input, version)
        shape = tuple(input.shape)
        geometry = (self.stride, self.padding, self.dilation)
        own = self._own()
        if plan is not None and plan.backward_valid(gradwrtoutput, self, own):
            plan.weight_grad(gradwrtoutput)
        else:
            ho, wo = self._output_size(shape[2], shape[3])
            check_grad(self, gradwrtoutput, (shape[0], self.out_channels, ho, wo))
            conv_ops.weight_grad(gradwrtoutput, input, self.kernel_size, *geometry, conv_ops.SHARED, cols,
                                 into=self._gradients["weight"], views=own)
        if self.bias is not None:
            self._gradients["bias"] += gradwrtoutput.sum((0, 2, 3))
        if not self.needs_input_grad:
            return None
        return conv_ops.input_grad(gradwrtoutput, self.weight, shape, *geometry, conv_ops.SHARED, own)

    def _keeper(self, own):
        """Where ``forward`` keeps small im2col columns for ``backward``: in training mode, ``own`` (``_own()``)."""
        return own if self.training else None

    def _own(self):
        """This layer's own Workspace: the kept columns (``_keeper``), cached views of the parameters."""
        return conv_ops.SHARED.of(self)

    def _output_size(self, h, w):
        """Return (Ho, Wo) for an input of height ``h`` and width ``w``, or raise if it is too small."""
        size = output_size(h, w, self.kernel_size, self.stride, self.padding, self.dilation)
        if size is None:
            (kh, kw), (dh, dw) = self.kernel_size, self.dilation
            raise ValueError(f"{type(self).__name__}.forward: input of size {h}x{w} with padding {self.padding} "
                             f"is smaller than the dilated kernel {dh * (kh - 1) + 1}x{dw * (kw - 1) + 1}")
        return size

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, bias={self.bias is not None}")
