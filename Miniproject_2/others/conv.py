"""2-D convolution."""
from .checks import check_choice, check_grad, check_input, check_int, check_like, pair
from .im2col import batch_first, channels_first, col2im, conv_output_size, im2col
from .init import uniform
from .module import Module


class Conv2d(Module):
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
        self.in_channels = check_int("in_channels", in_channels, 1)
        self.out_channels = check_int("out_channels", out_channels, 1)
        self.kernel_size = pair("kernel_size", kernel_size, 1)
        self.stride = pair("stride", stride, 1)
        self.padding = pair("padding", padding, 0)
        self.dilation = pair("dilation", dilation, 1)
        check_choice("groups", groups, (1,))
        check_choice("padding_mode", padding_mode, ("zeros",))
        kh, kw = self.kernel_size
        bound = (in_channels * kh * kw) ** -0.5
        self.register_parameter("weight", uniform((out_channels, in_channels, kh, kw), bound, device, dtype))
        if bias:
            self.register_parameter("bias", uniform((out_channels,), bound, device, dtype))
        else:
            self.bias = None

    def forward(self, input):
        """Convolve ``input`` (N, in_channels, H, W) and return (N, out_channels, Ho, Wo)."""
        check_input(self, input, self.in_channels)
        check_like(self, "input", input, self.weight)
        n, _, h, w = input.shape
        ho, wo = self._output_size(h, w)
        cols = im2col(input, self.kernel_size, self.stride, self.padding, self.dilation)
        w2d = self.weight.view(self.out_channels, -1)
        # The bias is the GEMM's starting value (as PyTorch's own im2col convolution does), so results
        # round exactly like F.conv2d; adding it afterwards changes the rounding of near-zero outputs.
        out = w2d.mm(cols) if self.bias is None else self.bias.view(-1, 1).addmm(w2d, cols)
        self.save_for_backward(cols, tuple(input.shape))
        return batch_first(out, n, ho, wo)

    def backward(self, gradwrtoutput):
        """Accumulate dL/dweight and dL/dbias; return dL/dinput.

        With G = dL/dout as a matrix (O, N*Ho*Wo) and X the im2col columns of the input:
        dL/dW = G X^T, dL/db = sum of G over its columns, dL/dX = W^T G, and dL/dinput is col2im of
        dL/dX (each column entry returns to the pixel it was read from).
        """
        cols, shape = self.saved()
        ho, wo = self._output_size(shape[2], shape[3])
        check_grad(self, gradwrtoutput, (shape[0], self.out_channels, ho, wo))
        g = channels_first(gradwrtoutput)
        self._gradients["weight"] += g.mm(cols.t()).view(self.weight.shape)
        if self.bias is not None:
            self._gradients["bias"] += g.sum(1)
        grad_cols = self.weight.view(self.out_channels, -1).t().mm(g)
        return col2im(grad_cols, shape, self.kernel_size, self.stride, self.padding, self.dilation)

    def _output_size(self, h, w):
        """Return (Ho, Wo) for an input of height ``h`` and width ``w``, or raise if it is too small."""
        (kh, kw), (ph, pw), (dh, dw) = self.kernel_size, self.padding, self.dilation
        if h + 2 * ph < dh * (kh - 1) + 1 or w + 2 * pw < dw * (kw - 1) + 1:
            raise ValueError(f"{type(self).__name__}.forward: input of size {h}x{w} with padding {self.padding} "
                             f"is smaller than the dilated kernel {dh * (kh - 1) + 1}x{dw * (kw - 1) + 1}")
        return (conv_output_size(h, kh, self.stride[0], ph, dh), conv_output_size(w, kw, self.stride[1], pw, dw))

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, bias={self.bias is not None}")
