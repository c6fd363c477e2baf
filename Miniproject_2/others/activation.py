"""Element-wise activation functions."""
from .checks import check_grad, check_number, check_unchanged, is_tensor
from .module import Module


class Activation(Module):
    """Base of the element-wise activations: checks the input and the gradient's shape."""

    def forward(self, input):
        if not is_tensor(input) or not input.is_floating_point():
            raise TypeError(f"{type(self).__name__}.forward: input must be a floating-point tensor, "
                            f"got {getattr(input, 'dtype', type(input).__name__)}")
        return self._forward(input)

    def backward(self, gradwrtoutput):
        saved, shape = self.saved()
        check_grad(self, gradwrtoutput, shape)
        return self._backward(gradwrtoutput, saved)


class ReLU(Activation):
    """max(0, x), as ``torch.nn.ReLU``.

    Args:
        inplace: overwrite the input with the output.
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = bool(inplace)

    def _forward(self, x):
        out = x.clamp_(min=0) if self.inplace else x.clamp(min=0)
        # The output, not a mask: no memory of its own (the next layer keeps it anyway), and boolean masks
        # and ``where`` run several times slower than arithmetic on CPU.
        self.save_for_backward((out, out._version), x.shape)
        return out

    def _backward(self, grad, saved):
        out, version = saved
        check_unchanged(self, out, version, "output")
        # d relu(x)/dx = 1 for x > 0, else 0 (PyTorch's convention at 0): the sign of the output (multiplied in
        # place: one fresh tensor, not two, which counts at large batches).
        return out.sign().mul_(grad)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Activation):
    """x for x > 0, negative_slope * x otherwise, as ``torch.nn.LeakyReLU``.

    Args:
        negative_slope: slope for negative inputs.
        inplace: overwrite the input with the output.
    """

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = check_number("negative_slope", negative_slope)
        self.inplace = bool(inplace)

    def _forward(self, x):
        s = self.negative_slope
        if not self.training:
            # For s <= 1, x > s x exactly when x > 0, so the larger of the two is the activation (the smaller for
            # s > 1): two passes, and nothing kept.
            scaled = x.mul(s)
            out = scaled.maximum(x) if s <= 1 else scaled.minimum(x)
            return x.copy_(out) if self.inplace else out
        # d/dx = 1 for x > 0, else s (PyTorch's convention at 0). For 0 <= s <= 1 that is sign(x) clamped below at
        # s. Otherwise h = sign(x) clamped at 0 is 1 or 0, and h + (h - 1)(-s) is exactly 1 or s (h (1 - s) + s
        # would round 1.3 - 0.3 to 1 + 1 ulp). The activation is then x times its derivative, x or s x, the very
        # product PyTorch computes: three passes over the tensor for the usual slopes (the two-pass maximum above
        # plus a separate derivative took six, and this layer's tensors are the network's largest).
        if 0 <= s <= 1:
            slope = x.sign().clamp_(min=s)
        else:
            h = x.sign().clamp_(min=0)
            slope = h.sub(1).mul_(-s).add_(h)
        self.save_for_backward(slope, x.shape)
        return x.mul_(slope) if self.inplace else x.mul(slope)

    def _backward(self, grad, slope):
        return grad * slope

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Sigmoid(Activation):
    """1 / (1 + exp(-x)), as ``torch.nn.Sigmoid``, finite for every finite input."""

    def _forward(self, x):
        # Below x = -88.7 (float32; -709.8 in float64) exp(-x) overflows to inf and 1 / (1 + inf) = 0, where the
        # true sigmoid is under the smallest normal number anyway: never NaN, so no need for an exp(-|x|) form,
        # which takes twice as many operations.
        out = x.neg().exp_().add_(1).reciprocal_()
        self.save_for_backward(out, x.shape)
        return out

    def _backward(self, grad, out):
        # d sigmoid(x)/dx = s (1 - s) = s - s * s: one addcmul, not neg, add and mul.
        return out.addcmul(out, out, value=-1).mul_(grad)
