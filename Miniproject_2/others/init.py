"""Parameter initialisation matching PyTorch's defaults for convolutions."""
from torch import empty


def uniform(shape, bound, device=None, dtype=None):
    """Return a tensor of ``shape`` drawn uniformly from [-bound, bound].

    PyTorch initialises a convolution's weight with ``kaiming_uniform_(a=sqrt(5))``, whose bound
    gain * sqrt(3 / fan_in) with gain = sqrt(2 / (1 + 5)) simplifies to 1 / sqrt(fan_in), and its bias
    uniformly in the same range; so both are ``uniform(shape, fan_in ** -0.5)``.
    """
    return empty(shape, device=device, dtype=dtype).uniform_(-bound, bound)
