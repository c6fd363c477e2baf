"""Containers: a chain of modules, and branches whose outputs are concatenated or added (skip connections)."""
from torch import cat

from .checks import check_grad, is_tensor
from .module import Module


class ModuleList(Module):
    """Base of the containers: sub-modules named '0', '1', ... in the order given.

    Args:
        *modules: the modules.
    """

    def __init__(self, *modules):
        super().__init__()
        for index, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"{type(self).__name__}: argument {index} must be a Module, "
                                f"got {type(module).__name__}")
            self.add_module(str(index), module)

    def __len__(self):
        return len(self._modules)

    def __getitem__(self, index):
        return list(self._modules.values())[index]

    def __iter__(self):
        return iter(self._modules.values())


class Sequential(ModuleList):
    """Apply modules one after the other, as ``torch.nn.Sequential``; sub-modules are named '0', '1', ...

    Args:
        *modules: the modules, in order.
    """

    def forward(self, input):
        """Return the output of the last module."""
        for module in self._modules.values():
            input = module.forward(input)
        return input

    def backward(self, gradwrtoutput):
        """Back-propagate through the modules in reverse order; return dL/dinput (or None, see
        ``requires_input_grad_``)."""
        for module in reversed(self._modules.values()):
            gradwrtoutput = module.backward(gradwrtoutput)
        return gradwrtoutput

    def requires_input_grad_(self, requires=True):
        """As ``Module.requires_input_grad_``: only the first module reads the input."""
        modules = list(self._modules.values())
        if modules:
            modules[0].requires_input_grad_(requires)
        return super().requires_input_grad_(requires)


class Identity(Module):
    """Return the input unchanged, as ``torch.nn.Identity``: the plain path of a skip connection."""

    def forward(self, input):
        return input

    def backward(self, gradwrtoutput):
        return gradwrtoutput


class Branches(ModuleList):
    """Base of ``Concat`` and ``Add``: every branch sees the same input, so dL/dinput is the sum of theirs.

    A branch must not modify its input in place (e.g. start with ``ReLU(inplace=True)``): the other
    branches read it too.
    """

    def __init__(self, *branches):
        super().__init__(*branches)
        if len(branches) < 2:
            raise ValueError(f"{type(self).__name__} needs at least 2 branches, got {len(branches)}")

    def _outputs(self, input):
        outputs = [branch.forward(input) for branch in self]
        for index, out in enumerate(outputs):
            if not is_tensor(out) or out.dim() != 4:
                raise ValueError(f"{type(self).__name__}: branch {index} must return an (N, C, H, W) tensor")
        return outputs

    def requires_input_grad_(self, requires=True):
        """As ``Module.requires_input_grad_``: every branch reads the input."""
        for branch in self:
            branch.requires_input_grad_(requires)
        return super().requires_input_grad_(requires)

    def _input_grad(self, grads):
        # x feeds every branch b: dL/dx = sum over b of dL/dx through b (out of place: a branch such as
        # Identity may return the very tensor it was given). Branches that skip it return None.
        total = None
        for branch, grad in zip(self, grads):
            part = branch.backward(grad)
            if part is not None and self.needs_input_grad:
                total = part if total is None else total + part
        return total


class Concat(Branches):
    """Concatenate the branches' outputs along the channels: ``cat([b(x) for b in branches], 1)``.

    ``Concat(Identity(), inner)`` is a U-Net skip connection. Branches are named '0', '1', ...

    Args:
        *branches: at least two modules, whose outputs agree in every dimension but the channels.

    Shape:
        (N, C, H, W) -> (N, C_0 + C_1 + ..., H', W'), C_b the channels of branch b's output.
    """

    def forward(self, input):
        outputs = self._outputs(input)
        shapes = [tuple(out.shape) for out in outputs]
        if len({(s[0],) + s[2:] for s in shapes}) != 1:
            raise ValueError(f"Concat: branch outputs must agree in all but the channels, got shapes {shapes}")
        self.save_for_backward([s[1] for s in shapes], shapes[0][:1] + (sum(s[1] for s in shapes),) + shapes[0][2:])
        return cat(outputs, 1)

    def backward(self, gradwrtoutput):
        """Hand each branch its channels of dL/dout; return the sum of their input gradients."""
        channels, shape = self.saved()
        check_grad(self, gradwrtoutput, shape)
        return self._input_grad(gradwrtoutput.split(channels, 1))  # views: every block takes strided gradients


class Add(Branches):
    """Add the branches' outputs: ``sum(b(x) for b in branches)``; ``Add(Identity(), f)`` is a residual block.

    Args:
        *branches: at least two modules, whose outputs have the same shape.

    Shape:
        (N, C, H, W) -> the shape of every branch's output.
    """

    def forward(self, input):
        outputs = self._outputs(input)
        shapes = {tuple(out.shape) for out in outputs}
        if len(shapes) != 1:
            raise ValueError(f"Add: branch outputs must have the same shape, got {sorted(shapes)}")
        total = outputs[0] + outputs[1]  # a fresh tensor: a branch may return its input itself
        for out in outputs[2:]:
            total += out
        self.save_for_backward(shapes.pop())
        return total

    def backward(self, gradwrtoutput):
        """Every branch receives dL/dout; return the sum of their input gradients."""
        (shape,) = self.saved()
        check_grad(self, gradwrtoutput, shape)
        return self._input_grad([gradwrtoutput] * len(self))

