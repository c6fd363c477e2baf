"""Argument and input validation shared by the blocks.

Every check raises ``TypeError`` (wrong kind of value) or ``ValueError`` (right kind, wrong value) with a
message naming the argument, the value received and what was expected.
"""
from torch import empty

TENSOR = type(empty(0))


def is_int(value):
    """True for a Python integer that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def check_int(name, value, minimum):
    """Return ``value`` after checking it is an integer >= ``minimum``."""
    if not is_int(value):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def pair(name, value, minimum):
    """Return ``(value, value)`` for an int, or a validated pair of ints each >= ``minimum``.

    Args:
        name: argument name used in error messages.
        value: an int or a tuple/list of two ints.
        minimum: smallest allowed entry.
    """
    if is_int(value):
        value = (value, value)
    if not isinstance(value, (tuple, list)) or len(value) != 2 or not all(is_int(v) for v in value):
        raise TypeError(f"{name} must be an integer or a pair of integers, got {value!r}")
    if min(value) < minimum:
        raise ValueError(f"{name} must be >= {minimum} in each dimension, got {tuple(value)}")
    return tuple(value)


def check_number(name, value, minimum=None, maximum=None, below=None):
    """Return ``float(value)`` after checking it is a real number in the given range.

    Args:
        minimum / maximum: inclusive bounds; below: exclusive upper bound.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if value != value:
        raise ValueError(f"{name} must not be NaN")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    if below is not None and value >= below:
        raise ValueError(f"{name} must be < {below}, got {value}")
    return value


def check_choice(name, value, choices):
    """Return ``value`` after checking it is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


def is_tensor(value):
    """True for a torch tensor, detected without importing torch.Tensor (a plain tensor's type first: asked
    several times per layer and step)."""
    return type(value) is TENSOR or (type(value).__module__.startswith("torch") and hasattr(value, "is_floating_point"))


def check_input(owner, input, channels=None):
    """Check a forward input is a 4-D floating tensor (with ``channels`` channels when given).

    Args:
        owner: the module, for the message.
        input: the tensor passed to ``forward``.
        channels: expected size of dimension 1, or None for any.

    Shape:
        input: (N, C, H, W)
    """
    who = type(owner).__name__
    if not is_tensor(input):
        raise TypeError(f"{who}.forward: input must be a tensor, got {type(input).__name__}")
    if input.dim() != 4:
        raise ValueError(f"{who}.forward: input must be 4-D (N, C, H, W), got shape {tuple(input.shape)}")
    if not input.is_floating_point():
        raise TypeError(f"{who}.forward: input must be a floating-point tensor, got {input.dtype}")
    if channels is not None and input.shape[1] != channels:
        raise ValueError(f"{who}.forward: input must have {channels} channels (dimension 1), "
                         f"got shape {tuple(input.shape)}")


def check_like(owner, name, tensor, reference):
    """Check ``tensor`` has the dtype and device of ``reference`` (a parameter)."""
    who = type(owner).__name__
    if tensor.device != reference.device or tensor.dtype != reference.dtype:
        raise ValueError(f"{who}.forward: {name} is {tensor.dtype} on {tensor.device} but the parameters are "
                         f"{reference.dtype} on {reference.device}; move one with .to()")


def check_grad(owner, grad, shape):
    """Check the gradient passed to ``backward`` has the shape of the forward output."""
    who = type(owner).__name__
    if not is_tensor(grad):
        raise TypeError(f"{who}.backward: gradient must be a tensor, got {type(grad).__name__}")
    if tuple(grad.shape) != tuple(shape):
        raise ValueError(f"{who}.backward: gradient must have the output's shape {tuple(shape)}, "
                         f"got {tuple(grad.shape)}")


def check_unchanged(owner, input, version, what="input"):
    """Raise if ``input`` (the forward's ``what``) was modified in place since its version read ``version``."""
    if input._version != version:
        raise RuntimeError(f"{type(owner).__name__}.backward: its forward {what} was modified in place after "
                           "forward (an in-place operation on it?); backward would use the wrong values")
