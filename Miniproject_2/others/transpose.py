"""2-D transposed convolution."""
from .checks import check_grad, check_input, check_like, pair
from .conv import ConvBase
from .kernels.im2col import batch_first, channels_first, col2im, im2col


class TransposeConv2d(ConvBase):
    """2-D transposed convolution, as ``torch.nn.ConvTranspose2d``: the adjoint of ``Conv2d``.

    Args:
        in_channels, out_channels: channels of the input and the output.
        kernel_size, stride, padding, output_padding, dilation: an int or a pair of ints.
            ``output_padding`` must be smaller than ``stride`` or ``dilation`` in each dimension.
        groups: only 1 is supported (kept for PyTorch's argument order).
        bias: whether to add a learnt bias.
        padding_mode: only ``'zeros'`` is supported.
        device, dtype: where and how the parameters are created.

    Shape:
        input (N, in_channels, H, W) -> output (N, out_channels, Ho, Wo) with
        Ho = (H - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1.
        weight: (in_channels, out_channels, kh, kw) (PyTorch's layout); bias: (out_channels,).
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        self._setup(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, padding_mode)
        self.output_padding = pair("output_padding", output_padding, 0)
        for op, s, d in zip(self.output_padding, self.stride, self.dilation):
            if op >= max(s, d):
                raise ValueError(f"output_padding must be smaller than stride or dilation, got output_padding="
                                 f"{self.output_padding}, stride={self.stride}, dilation={self.dilation}")
        self._make_parameters((in_channels, out_channels) + self.kernel_size, bias, device, dtype)

    def forward(self, input):
        """Return the transposed convolution of ``input`` (N, in_channels, H, W)."""
        check_input(self, input, self.in_channels)
        check_like(self, "input", input, self.weight)
        n, _, h, w = input.shape
        # Each input pixel scatters weight[c_in] * x onto a kh x kw patch of a canvas of the patches' full
        # extent: columns W^T X, then col2im. The output is the canvas without `padding` rows and columns at
        # the top and left; output_padding may reach past the canvas, where only the bias lands.
        cols = self.weight.view(self.in_channels, -1).t().mm(channels_first(input))
        canvas = col2im(cols, (n, self.out_channels) + self._canvas_size(h, w), self.kernel_size, self.stride,
                        (0, 0), self.dilation)
        out = canvas.new_zeros((n, self.out_channels) + self._output_size(h, w))
        on_output, on_canvas = self._overlap(h, w)
        out[on_output] = canvas[on_canvas]
        if self.bias is not None:
            out += self.bias.view(1, -1, 1, 1)
        self.save_for_backward(input)
        return out

    def backward(self, gradwrtoutput):
        """Accumulate dL/dweight and dL/dbias; return dL/dinput (None after ``requires_input_grad_(False)``).

        The forward is a crop of col2im(W^T X), whose adjoint is im2col of the gradient placed back on the
        canvas: with C = im2col(canvas gradient) (exactly H*W blocks per image), dL/dX = W C,
        dL/dW = X C^T and dL/db sums dL/dout.
        """
        (input,) = self.saved()
        n, _, h, w = input.shape
        check_grad(self, gradwrtoutput, (n, self.out_channels) + self._output_size(h, w))
        canvas = gradwrtoutput.new_zeros((n, self.out_channels) + self._canvas_size(h, w))
        on_output, on_canvas = self._overlap(h, w)
        canvas[on_canvas] = gradwrtoutput[on_output]
        grad_cols = im2col(canvas, self.kernel_size, self.stride, (0, 0), self.dilation)
        self._gradients["weight"] += channels_first(input).mm(grad_cols.t()).view(self.weight.shape)
        if self.bias is not None:
            self._gradients["bias"] += gradwrtoutput.sum((0, 2, 3))
        if not self.needs_input_grad:
            return None
        return batch_first(self.weight.view(self.in_channels, -1).mm(grad_cols), n, h, w)

    def _canvas_size(self, h, w):
        """Return the extent of all patches: (size - 1) * stride + dilation * (kernel - 1) + 1 per dimension."""
        return tuple((size - 1) * s + d * (k - 1) + 1 for size, s, d, k in zip(
            (h, w), self.stride, self.dilation, self.kernel_size))

    def _output_size(self, h, w):
        """Return (Ho, Wo) for an input of height ``h`` and width ``w``, or raise if it is empty."""
        sizes = tuple(c - 2 * p + op for c, p, op in zip(self._canvas_size(h, w), self.padding, self.output_padding))
        if min(sizes) < 1:
            raise ValueError(f"{type(self).__name__}.forward: input of size {h}x{w} gives an empty output "
                             f"{sizes[0]}x{sizes[1]} with padding {self.padding}")
        return sizes

    def _overlap(self, h, w):
        """Return (output index, canvas index) of the output pixels that lie on the canvas.

        Output pixel (r, c) is canvas pixel (r + padding[0], c + padding[1]).
        """
        sizes = zip(self._output_size(h, w), self._canvas_size(h, w), self.padding)
        (rh, rw) = (max(0, min(out, canvas - p)) for out, canvas, p in sizes)
        (ph, pw), every = self.padding, slice(None)
        return (every, every, slice(0, rh), slice(0, rw)), (every, every, slice(ph, ph + rh), slice(pw, pw + rw))

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, output_padding={self.output_padding}, dilation={self.dilation}, "
                f"bias={self.bias is not None}")
