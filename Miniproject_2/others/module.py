"""The ``Module`` base class: parameters, gradients, sub-modules, state dicts and devices."""
from collections import OrderedDict

from .checks import is_tensor


class Module:
    """Base class of every block.

    A module owns named parameters (plain tensors), one gradient tensor per parameter and named
    sub-modules. ``forward`` computes the output and, in training mode, saves what ``backward`` needs;
    ``backward`` adds the parameter gradients into the gradient tensors (``+=``) and returns the gradient
    with respect to the input. Nothing relies on autograd: it works with ``torch.set_grad_enabled(False)``.

    In evaluation mode (``eval()``) ``forward`` saves nothing, so inference holds no extra memory; calling
    ``backward`` afterwards raises.
    """

    needs_input_grad = True  # see requires_input_grad_

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_gradients", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_context", None)

    # -- the course API -------------------------------------------------------------------------------
    def forward(self, *input):
        """Compute the output; subclasses override."""
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, *gradwrtoutput):
        """Accumulate parameter gradients and return the gradient w.r.t. the input; subclasses override."""
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def param(self):
        """Return the list of ``(parameter, gradient)`` pairs of this module and its sub-modules."""
        return [(tensor, grads[name]) for _, tensor, name, grads in self._walk_parameters()]

    def __call__(self, *input):
        return self.forward(*input)

    def requires_input_grad_(self, requires=True):
        """Say whether ``backward`` must return dL/dinput (the default); return ``self``.

        When the input is data, as for a network's first layers, nothing uses that gradient: autograd skips it
        because the input does not require a gradient. With False, blocks with parameters skip that product
        and their ``backward`` returns None (parameter gradients are accumulated as always); containers pass
        the setting on to the modules that read their input.
        """
        object.__setattr__(self, "needs_input_grad", bool(requires))
        return self

    # -- parameters and sub-modules -------------------------------------------------------------------
    def register_parameter(self, name, tensor):
        """Add a parameter ``name`` (a tensor) and its zero gradient; it is then reachable as ``self.name``."""
        if not is_tensor(tensor):
            raise TypeError(f"parameter {name!r} must be a tensor, got {type(tensor).__name__}")
        self._parameters[name] = tensor
        self._gradients[name] = tensor.new_zeros(tensor.shape)
        object.__setattr__(self, name, tensor)  # found by normal lookup: the tensor object is never replaced

    def add_module(self, name, module):
        """Add a sub-module ``name``; it is then reachable as ``self.name``."""
        if not isinstance(module, Module):
            raise TypeError(f"sub-module {name!r} must be a Module, got {type(module).__name__}")
        self._modules[name] = module
        object.__setattr__(self, name, module)

    def __setattr__(self, name, value):
        if isinstance(value, Module):
            self.add_module(name, value)
        elif name in self._parameters:
            self._set_parameter(name, value)
        else:
            object.__setattr__(self, name, value)

    def _set_parameter(self, name, value):
        old = self._parameters[name]
        if not is_tensor(value) or tuple(value.shape) != tuple(old.shape):
            shape = tuple(value.shape) if is_tensor(value) else type(value).__name__
            raise ValueError(f"{type(self).__name__}.{name} must be a tensor of shape {tuple(old.shape)}, "
                             f"got {shape}")
        old.copy_(value)

    def grad(self, name):
        """Return the gradient tensor of parameter ``name`` (dotted for sub-modules, e.g. ``'0.weight'``)."""
        for full, _, short, grads in self._walk_parameters():
            if full == name:
                return grads[short]
        raise KeyError(f"no parameter named {name!r}; known: {list(self.state_dict())}")

    def _walk_parameters(self, prefix=""):
        """Yield ``(dotted name, parameter, local name, gradient dict)`` for every parameter, depth first."""
        for name, tensor in self._parameters.items():
            yield prefix + name, tensor, name, self._gradients
        for child_name, child in self._modules.items():
            yield from child._walk_parameters(f"{prefix}{child_name}.")

    def modules(self):
        """Yield this module and all its sub-modules, depth first."""
        yield self
        for child in self._modules.values():
            yield from child.modules()

    # -- training helpers -----------------------------------------------------------------------------
    def zero_grad(self):
        """Set every parameter gradient to zero."""
        for _, gradient in self.param():
            gradient.zero_()

    def train(self, mode=True):
        """Set training mode (``forward`` saves what ``backward`` needs) on this module and its children."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
            if not mode:
                object.__setattr__(module, "_context", None)
        return self

    def eval(self):
        """Set evaluation mode: ``forward`` saves nothing and ``backward`` is unavailable."""
        return self.train(False)

    def save_for_backward(self, *values):
        """Keep ``values`` for ``backward`` (training mode only)."""
        object.__setattr__(self, "_context", values if self.training else None)

    def saved(self):
        """Return what ``forward`` saved, or raise if ``forward`` has not run in training mode."""
        if self._context is None:
            raise RuntimeError(f"{type(self).__name__}.backward() needs a forward() in training mode first "
                               "(no forward has run, or it ran in eval mode, which saves nothing)")
        return self._context

    # -- state and devices ----------------------------------------------------------------------------
    def state_dict(self):
        """Return an ordered dict of dotted parameter names to the parameter tensors (not copies)."""
        return OrderedDict((full, tensor) for full, tensor, _, _ in self._walk_parameters())

    def load_state_dict(self, state_dict, strict=True):
        """Copy tensors from ``state_dict`` into the parameters, converting device and dtype.

        Args:
            state_dict: mapping of dotted names to tensors.
            strict: when True, missing or unexpected keys raise ``KeyError`` naming them.
        """
        own = self.state_dict()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            raise KeyError(f"state_dict does not match {type(self).__name__}: missing keys {missing}, "
                           f"unexpected keys {unexpected}")
        for key, tensor in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            if not is_tensor(value) or tuple(value.shape) != tuple(tensor.shape):
                shape = tuple(value.shape) if is_tensor(value) else type(value).__name__
                raise ValueError(f"state_dict[{key!r}] must have shape {tuple(tensor.shape)}, got {shape}")
        for key, tensor in own.items():
            if key in state_dict:
                tensor.copy_(state_dict[key])
        return self

    def to(self, *args, **kwargs):
        """Move or cast every parameter and gradient in place (``Tensor.to`` arguments).

        The tensor objects are kept, so ``param()`` pairs held by an optimizer stay valid.
        """
        for module in self.modules():
            for table in (module._parameters, module._gradients):
                for tensor in table.values():
                    tensor.data = tensor.data.to(*args, **kwargs)
            object.__setattr__(module, "_context", None)
        return self

    # -- display --------------------------------------------------------------------------------------
    def extra_repr(self):
        """Return the constructor arguments shown by ``repr``; subclasses override."""
        return ""

    def __repr__(self):
        if not self._modules:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({name}): " + repr(child).replace("\n", "\n  ") for name, child in self._modules.items()]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"
