"""Containers that chain modules."""
from .module import Module


class Sequential(Module):
    """Apply modules one after the other, as ``torch.nn.Sequential``; sub-modules are named '0', '1', ...

    Args:
        *modules: the modules, in order.
    """

    def __init__(self, *modules):
        super().__init__()
        for index, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"Sequential: argument {index} must be a Module, got {type(module).__name__}")
            self.add_module(str(index), module)

    def __len__(self):
        return len(self._modules)

    def __getitem__(self, index):
        return list(self._modules.values())[index]

    def __iter__(self):
        return iter(self._modules.values())

    def forward(self, input):
        """Return the output of the last module."""
        for module in self._modules.values():
            input = module.forward(input)
        return input

    def backward(self, gradwrtoutput):
        """Back-propagate through the modules in reverse order; return dL/dinput."""
        for module in reversed(self._modules.values()):
            gradwrtoutput = module.backward(gradwrtoutput)
        return gradwrtoutput
