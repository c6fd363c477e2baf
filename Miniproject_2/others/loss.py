"""Loss functions."""
from .checks import check_choice, is_tensor
from .module import Module


class MSE(Module):
    """Mean squared error, as ``torch.nn.MSELoss``.

    Args:
        reduction: ``'mean'`` (default) or ``'sum'`` of the squared differences.

    Shape:
        prediction and target: the same shape (any); output: a 0-d tensor.
    """

    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = check_choice("reduction", reduction, ("mean", "sum"))

    def forward(self, prediction, target):
        """Return the reduced squared difference between ``prediction`` and ``target``."""
        for name, value in (("prediction", prediction), ("target", target)):
            if not is_tensor(value) or not value.is_floating_point():
                raise TypeError(f"MSE.forward: {name} must be a floating-point tensor, "
                                f"got {getattr(value, 'dtype', type(value).__name__)}")
        if tuple(prediction.shape) != tuple(target.shape):
            raise ValueError(f"MSE.forward: prediction and target must have the same shape, got "
                             f"{tuple(prediction.shape)} and {tuple(target.shape)}")
        diff = prediction - target
        self.save_for_backward(diff)
        squares = diff.pow(2)
        return squares.mean() if self.reduction == "mean" else squares.sum()

    def backward(self, *gradwrtoutput):
        """Return dL/dprediction = 2 (prediction - target) / numel (times the upstream gradient, if given)."""
        (diff,) = self.saved()
        scale = 2.0 / diff.numel() if self.reduction == "mean" else 2.0
        grad = diff * scale
        if gradwrtoutput and gradwrtoutput[0] is not None:
            grad = grad * gradwrtoutput[0]
        return grad

    def extra_repr(self):
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"
