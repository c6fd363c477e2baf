"""Learning-rate schedules that drive an optimizer's ``lr``, stepped once per optimizer step."""
import math

from .checks import check_int, check_number


class CosineAnnealingLR:
    """Cosine decay from the optimizer's lr to ``eta_min`` over ``T_max`` steps, as ``torch.optim``'s.

    After ``t`` calls of ``step()``: lr = eta_min + (base_lr - eta_min) (1 + cos(pi t / T_max)) / 2
    (PyTorch's closed form; it rises again past T_max, so size T_max to the whole run).

    Args:
        optimizer: any optimizer with an ``lr`` attribute.
        T_max: steps from the initial lr to ``eta_min``.
        eta_min: the final learning rate.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0):
        if not hasattr(optimizer, "lr"):
            raise TypeError(f"optimizer must have an lr attribute, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.T_max = check_int("T_max", T_max, 1)
        self.eta_min = check_number("eta_min", eta_min, minimum=0)
        self.base_lr = float(optimizer.lr)
        self.last_epoch = 0

    def get_lr(self):
        """Return the learning rate after ``last_epoch`` steps."""
        progress = math.cos(math.pi * self.last_epoch / self.T_max)
        return self.eta_min + (self.base_lr - self.eta_min) * (1 + progress) / 2

    def step(self):
        """Advance one step and set the optimizer's lr."""
        self.last_epoch += 1
        self.optimizer.lr = self.get_lr()

    def finished(self):
        """True once ``T_max`` steps have been taken."""
        return self.last_epoch >= self.T_max

    def state_dict(self):
        """Return the schedule's state (plain numbers)."""
        return {k: v for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore what ``state_dict()`` returned and set the optimizer's lr to match."""
        for key in ("T_max", "eta_min", "base_lr", "last_epoch"):
            setattr(self, key, state_dict[key])
        self.optimizer.lr = self.get_lr()
