"""Optimizers working on ``(parameter, gradient)`` pairs, as returned by ``Module.param()``."""
from .checks import check_number, is_tensor


class Optimizer:
    """Base optimizer: holds the pairs and one state dict per parameter.

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

    def state_dict(self):
        """Return the hyper-parameters and per-parameter state (tensors are references, not copies)."""
        return {"hyper": {k: v for k, v in vars(self).items() if k not in ("params", "state")},
                "state": [dict(s) for s in self.state]}

    def load_state_dict(self, state_dict):
        """Restore what ``state_dict()`` returned, moving state tensors to their parameter's device and dtype."""
        if len(state_dict["state"]) != len(self.params):
            raise ValueError(f"{type(self).__name__}.load_state_dict: the state is for {len(state_dict['state'])} "
                             f"parameters, this optimizer has {len(self.params)}")
        for key, value in state_dict["hyper"].items():
            setattr(self, key, tuple(value) if isinstance(value, list) else value)
        self.state = [{k: v.to(p.device, p.dtype) if hasattr(v, "to") else v for k, v in s.items()}
                      for s, (p, _) in zip(state_dict["state"], self.params)]

    def zero_grad(self):
        """Set every gradient to zero."""
        for _, gradient in self.params:
            gradient.zero_()

    def step(self):
        """Update every parameter in place from its gradient."""
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
