"""Nearest-neighbour upsampling, alone and followed by a convolution."""
from .checks import check_grad, check_input, pair
from .conv import Conv2d
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
        return gradwrtoutput.reshape(n, c, h, sh, w, sw).sum((3, 5))

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

    @property
    def bias(self):
        return self.conv.bias

    def forward(self, input):
        """Upsample ``input`` then convolve it."""
        check_input(self, input, self.conv.in_channels)
        return self.conv.forward(self.upsample.forward(input))

    def backward(self, gradwrtoutput):
        """Back through the convolution, then the upsampling."""
        return self.upsample.backward(self.conv.backward(gradwrtoutput))
