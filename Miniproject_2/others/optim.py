"""Optimizers working on ``(parameter, gradient)`` pairs, as returned by ``Module.param()``."""
from torch import cat

from .checks import check_number, is_tensor


def pack(pairs):
    """Move every parameter into one flat buffer and every gradient into another; return the two buffers.

    ``Tensor.set_`` keeps the tensor objects, so the modules holding them see the same values, now stored in the
    buffers. Return None, packing nothing, unless every tensor is a whole, contiguous tensor of its own (not a
    view of a larger one, none given twice) with one dtype and device.
    """
    tensors = [t for pair in pairs for t in pair]
    first = tensors[0]
    if len({t.data_ptr() for t in tensors if t.numel()}) != sum(1 for t in tensors if t.numel()):
        return None
    for t in tensors:
        if (t.dtype != first.dtype or t.device != first.device or not t.is_contiguous() or t.storage_offset()
                or t.untyped_storage().nbytes() != t.numel() * t.element_size()):
            return None
    return tuple(_pack_into([pair[index] for pair in pairs]) for index in (0, 1))


def _pack_into(tensors):
    flat = tensors[0].new_empty(sum(t.numel() for t in tensors))
    offset = 0
    for t in tensors:
        flat[offset:offset + t.numel()].copy_(t.reshape(-1))
        t.set_(flat.untyped_storage(), offset, t.shape)
        offset += t.numel()
    return flat


class Optimizer:
    """Base optimizer: holds the pairs and one state dict per parameter.

    The updates are element-wise, so when the pairs can be packed (``pack``) one ``_update`` call on the flat
    buffers does the work of one call per parameter: at small batches a step costs what its number of tensor
    operations costs. Should a parameter leave its buffer (``Module.to``), the optimizer goes back to one
    update per parameter.

    Args:
        params: iterable of ``(parameter, gradient)`` pairs of tensors.
    """

    def __init__(self, params):
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: params is empty; pass model.param()")
        for index, entry in enumerate(self.params):
            if not (isinstance(entry, (tuple, list)) and len(entry) == 2 and all(is_tensor(t) for t in entry)):
                raise TypeError(f"{type(self).__name__}: params[{index}] must be a (parameter, gradient) pair "
                                f"of tensors, as returned by Module.param()")
        self.state = [{} for _ in self.params]
        self._packed = pack(self.params)
        self._flat_state = {}
        self._pointers = [tensor.data_ptr for pair in self.params for tensor in pair]  # bound: read twice a step
        self._addresses = self._current_addresses()

    def _current_addresses(self):
        return [pointer() for pointer in self._pointers]

    def _flat(self):
        """Return the packed (parameters, gradients), or None once any tensor has left them (then unpack)."""
        if self._packed is not None and self._current_addresses() != self._addresses:
            self.state, self._packed, self._flat_state = self._state_per_parameter(), None, {}
        return self._packed

    def _state_per_parameter(self):
        """The per-parameter state; when packed, views of the flat state tensors."""
        if self._packed is None:
            return self.state
        state, offset = [], 0
        for parameter, _ in self.params:
            size = parameter.numel()
            state.append({k: v[offset:offset + size].view(parameter.shape) if is_tensor(v) else v
                          for k, v in self._flat_state.items()})
            offset += size
        return state

    def state_dict(self):
        """Return the hyper-parameters and per-parameter state (tensors are references, not copies)."""
        hidden = ("params", "state", "_packed", "_flat_state", "_pointers", "_addresses")
        return {"hyper": {k: v for k, v in vars(self).items() if k not in hidden},
                "state": [dict(s) for s in self._state_per_parameter()]}

    def load_state_dict(self, state_dict):
        """Restore what ``state_dict()`` returned, moving state tensors to their parameter's device and dtype."""
        if len(state_dict["state"]) != len(self.params):
            raise ValueError(f"{type(self).__name__}.load_state_dict: the state is for {len(state_dict['state'])} "
                             f"parameters, this optimizer has {len(self.params)}")
        for key, value in state_dict["hyper"].items():
            setattr(self, key, tuple(value) if isinstance(value, list) else value)
        self.state = [{k: v.to(p.device, p.dtype) if hasattr(v, "to") else v for k, v in s.items()}
                      for s, (p, _) in zip(state_dict["state"], self.params)]
        if self._flat() is not None:
            self._flat_state = {k: cat([s[k].reshape(-1) for s in self.state]) if is_tensor(v) else v
                                for k, v in self.state[0].items()}
            self.state = [{} for _ in self.params]  # packed, the flat state is the only copy

    def zero_grad(self):
        """Set every gradient to zero."""
        flat = self._flat()
        for gradient in (flat[1],) if flat is not None else (g for _, g in self.params):
            gradient.zero_()

    def step(self):
        """Update every parameter in place from its gradient."""
        flat = self._flat()
        if flat is not None:
            self._update(flat[0], flat[1], self._flat_state)
            return
        for (parameter, gradient), state in zip(self.params, self.state):
            self._update(parameter, gradient, state)

    def _update(self, parameter, gradient, state):
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, as ``torch.optim.SGD``.

    Args:
        params: ``(parameter, gradient)`` pairs.
        lr: learning rate.
        momentum: momentum factor; dampening: its dampening; nesterov: use Nesterov momentum.
        weight_decay: L2 penalty added to the gradient.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        super().__init__(params)
        self.lr = check_number("lr", lr, minimum=0)
        self.momentum = check_number("momentum", momentum, minimum=0)
        self.dampening = check_number("dampening", dampening)
        self.weight_decay = check_number("weight_decay", weight_decay, minimum=0)
        self.nesterov = bool(nesterov)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError("nesterov=True requires momentum > 0 and dampening = 0, "
                             f"got momentum={momentum}, dampening={dampening}")

    def _update(self, parameter, gradient, state):
        # d = g + wd p; b <- momentum b + (1 - dampening) d (b = d at the first step);
        # p <- p - lr (d + momentum b) with Nesterov, else p - lr b.
        d = gradient.add(parameter, alpha=self.weight_decay) if self.weight_decay else gradient
        if self.momentum:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = state["momentum_buffer"] = d.clone()
            else:
                buffer.mul_(self.momentum).add_(d, alpha=1 - self.dampening)
            d = d.add(buffer, alpha=self.momentum) if self.nesterov else buffer
        parameter.add_(d, alpha=-self.lr)


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam`` (L2 weight decay added to the gradient, no amsgrad).

    Args:
        params: ``(parameter, gradient)`` pairs.
        lr: learning rate; betas: decay rates of the first and second moment estimates.
        eps: added to the denominator; weight_decay: L2 penalty added to the gradient.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
        super().__init__(params)
        self.lr = check_number("lr", lr, minimum=0)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"betas must be a pair of numbers, got {betas!r}")
        self.betas = tuple(check_number(f"betas[{i}]", b, minimum=0, below=1) for i, b in enumerate(betas))
        self.eps = check_number("eps", eps, minimum=0)
        self.weight_decay = check_number("weight_decay", weight_decay, minimum=0)

    def _update(self, parameter, gradient, state):
        # m <- b1 m + (1 - b1) g; v <- b2 v + (1 - b2) g^2;
        # p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
        beta1, beta2 = self.betas
        g = gradient.add(parameter, alpha=self.weight_decay) if self.weight_decay else gradient
        if not state:
            state.update(step=0, exp_avg=parameter.new_zeros(parameter.shape),
                         exp_avg_sq=parameter.new_zeros(parameter.shape))
        state["step"] += 1
        t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        m.lerp_(g, 1 - beta1)
        v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
        correction1 = 1 - beta1 ** t
        correction2_sqrt = (1 - beta2 ** t) ** 0.5
        denom = (v.sqrt() / correction2_sqrt).add_(self.eps)
        parameter.addcdiv_(m, denom, value=-self.lr / correction1)
