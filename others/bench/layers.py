"""The convolution layers of a network one at a time, and PyTorch's counterpart of each (``benchmarks/test_layers.py``:
where a training step's time goes, layer by layer)."""
import torch
import torch.nn.functional as F

from Miniproject_2.others import Conv2d, Upsampling


def conv_layers(net, shape):
    """Return ``[(layer, input shape)]`` for every Conv2d and Upsampling block of ``net`` in the order a forward
    pass on a random input of ``shape`` (on the parameters' device and dtype) runs them (an Upsampling block's own
    Conv2d is not listed apart)."""
    inner = {id(m.conv) for m in net.modules() if isinstance(m, Upsampling)}
    layers = [m for m in net.modules() if isinstance(m, Upsampling) or (isinstance(m, Conv2d) and id(m) not in inner)]
    seen = []
    for layer in layers:
        def record(input, layer=layer, forward=layer.forward):
            seen.append((layer, tuple(input.shape)))
            return forward(input)
        object.__setattr__(layer, "forward", record)  # the instance's own attribute, past Module.__setattr__
    try:
        parameter = net.param()[0][0]
        net.forward(torch.rand(shape, dtype=parameter.dtype, device=parameter.device))
    finally:
        for layer in layers:
            object.__delattr__(layer, "forward")
    return seen


def label(index, layer, shape):
    """``L01-conv-48to24-32x32-s1``: the layer's place (``index`` from 0, shown from 1), kind, channels, input size
    and stride."""
    conv = layer.conv if isinstance(layer, Upsampling) else layer
    kind = "up" if isinstance(layer, Upsampling) else "conv"
    return f"L{index + 1:02d}-{kind}-{conv.in_channels}to{conv.out_channels}-{shape[2]}x{shape[3]}-s{conv.stride[0]}"


def twin_pass(layer, x, grad):
    """Return a callable running PyTorch's forward + backward of ``layer`` on ``x`` with output gradient ``grad``
    (``F.conv2d``, after ``F.interpolate`` for an Upsampling block; autograd on copies of the parameters); it
    returns the output and the copies, whose ``.grad`` accumulate from call to call, as autograd's do."""
    conv = layer.conv if isinstance(layer, Upsampling) else layer
    weight = conv.weight.detach().clone().requires_grad_()
    bias = None if conv.bias is None else conv.bias.detach().clone().requires_grad_()
    scale = layer.upsample.scale_factor if isinstance(layer, Upsampling) else None

    def run():
        with torch.enable_grad():
            up = x if scale is None else F.interpolate(x, scale_factor=scale, mode="nearest")
            out = F.conv2d(up, weight, bias, conv.stride, conv.padding, conv.dilation)
            out.backward(grad)
        return out, weight, bias
    return run
