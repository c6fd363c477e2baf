"""Conv2d's passes planned for one input signature (``Conv2d``), as ``fused.py`` plans the upsampling block's.

At batch 1 a small convolution's forward pass is two column copies and one GEMM, its weight gradient one GEMM;
checking the input and finding the views again cost a few microseconds more per pass (C = 16: about 4 per
layer and pass). A plan keeps them for one input shape, dtype and device.
"""
from . import conv_ops
from ..checks import TENSOR


class ConvPlan:
    """``Conv2d.forward`` in training mode with small kept columns (``conv_ops.ForwardPlan``), and the weight
    gradient after it, for one input shape, dtype and device. Valid while that ``ForwardPlan`` is."""

    def __init__(self, layer, x, conv_plan, own):
        self.key, self.conv = (x.shape, x.dtype, x.device), conv_plan
        self.geometry = (layer.stride, layer.padding, layer.dilation)  # attributes a user may change
        n, o, ho, wo = conv_plan.shape
        self.product = None
        if n == 1:  # dL/dW += G X^T, one accumulating GEMM on views kept here
            gradient = layer._gradients["weight"]
            k = conv_plan.columns.cols.shape[1]
            self.product = (gradient, gradient.data_ptr(), own.generation, gradient.view(o, k),
                            own.get("cols", (k, ho * wo), x).t(), (o, ho * wo))

    def valid(self, x, layer, own):
        """True when ``forward`` may run for input ``x`` of ``layer``, whose Workspace ``own`` has the plan."""
        return (type(x) is TENSOR and layer.training and (x.shape, x.dtype, x.device) == self.key
                and (layer.stride, layer.padding, layer.dilation) == self.geometry
                and self.conv.valid(x, layer.weight, layer.bias, conv_ops.SHARED, own))

    def forward(self, x, layer):
        """Run ``layer``'s forward pass on ``x`` and save its context, as ``Conv2d.forward`` does."""
        self.conv.columns.fill(x)
        layer.save_for_backward(x, x._version, self.conv.columns.cols, self)
        return self.conv.run()

    def backward_valid(self, grad, layer, own):
        """True when ``weight_grad`` may run for output gradient ``grad`` after this plan's forward pass."""
        if self.product is None:
            return False
        gradient, pointer, generation = self.product[:3]
        return (type(grad) is TENSOR and grad.shape == self.conv.shape and (grad.dtype, grad.device) == self.key[1:]
                and layer._gradients["weight"] is gradient and gradient.data_ptr() == pointer
                and own.generation == generation)

    def weight_grad(self, grad):
        """Add dL/dW for ``grad`` into the weight's gradient (``backward_valid`` must hold)."""
        into, x_t, rows = self.product[3:]
        into.addmm_(grad.reshape(rows), x_t)
