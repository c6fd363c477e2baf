"""PyTorch reference twins: the same networks with torch.nn, autograd and torch.optim, for comparison only.

``twin_of`` gives the torch.nn network with identical weights; ``TwinModel`` is ``Miniproject_2.model.Model``
with that network and ``torch.optim`` in place of ours, so the same training loop (data order, augmentation,
schedule, weight averaging) trains both and the comparison isolates the framework.
"""
import torch
from torch import nn

from Miniproject_2.model import Model
from Miniproject_2.others.denoiser.networks import UNET_WIDTHS


class UpsampleConv(nn.Module):
    """Nearest upsampling then a convolution, with the from-scratch ``Upsampling`` block's parameter names."""

    def __init__(self, in_channels, out_channels, kernel_size, scale_factor=2, padding=0, stride=1):
        super().__init__()
        self.upsample = nn.Upsample(scale_factor=scale_factor, mode="nearest")
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding)

    def forward(self, x):
        return self.conv(self.upsample(x))


class Concat(nn.ModuleList):
    """torch.cat of the branches' outputs along the channels (the from-scratch ``Concat``)."""

    def forward(self, x):
        return torch.cat([branch(x) for branch in self], 1)


class Add(nn.ModuleList):
    """The sum of the branches' outputs (the from-scratch ``Add``)."""

    def forward(self, x):
        return sum(branch(x) for branch in self)


def course_twin(width=48):
    """The course network of the seed report's Table I, in torch.nn (same layer order and parameter names)."""
    c = width
    return nn.Sequential(nn.Conv2d(3, c, 3, 2, 1), nn.ReLU(), nn.Conv2d(c, c, 3, 2, 1), nn.ReLU(),
                         UpsampleConv(c, c, 3, 2, 1), nn.ReLU(), UpsampleConv(c, 3, 3, 2, 1), nn.Sigmoid())


def unet_twin(widths=UNET_WIDTHS, residual=True, negative_slope=0.1):
    """The U-Net of ``networks.unet`` in torch.nn (same layer order and parameter names)."""
    def level(ws):
        c = ws[0]
        if len(ws) == 1:
            return nn.Sequential(nn.Conv2d(c, c, 3, padding=1), nn.LeakyReLU(negative_slope))
        down = nn.Sequential(nn.Conv2d(c, ws[1], 3, 2, 1), nn.LeakyReLU(negative_slope), level(ws[1:]),
                             UpsampleConv(ws[1], c, 3, 2, 1), nn.LeakyReLU(negative_slope))
        return nn.Sequential(Concat([nn.Identity(), down]), nn.Conv2d(2 * c, c, 3, padding=1),
                             nn.LeakyReLU(negative_slope))

    body = nn.Sequential(nn.Conv2d(3, widths[0], 3, padding=1), nn.LeakyReLU(negative_slope), level(list(widths)),
                         nn.Conv2d(widths[0], 3, 3, padding=1))
    return Add([nn.Identity(), body]) if residual else nn.Sequential(body, nn.Sigmoid())


TWINS = {"course": course_twin, "unet": unet_twin}


def twin_of(scratch_net, architecture):
    """Return the torch.nn twin of a from-scratch network, starting from identical weights."""
    args = {k: v for k, v in architecture.items() if k != "name"}
    with torch.random.fork_rng(devices=[]):  # torch.nn's own initialisation must not move the global generator
        twin = TWINS[architecture["name"]](**args)
    first = next(iter(scratch_net.state_dict().values()))
    twin.to(device=first.device, dtype=first.dtype)
    with torch.no_grad():
        twin.load_state_dict({k: v.clone() for k, v in scratch_net.state_dict().items()})
    return twin


class TwinNet:
    """A torch.nn network behind the from-scratch module API, its backward done by autograd.

    ``param()`` pairs are (detached parameter, .grad): they share storage with the twin's parameters, so
    the model's in-place weight copies (snapshots, weight averaging) reach the twin.
    """

    def __init__(self, twin):
        self.twin, self.training, self._out = twin, True, None
        for p in twin.parameters():
            p.grad = torch.zeros_like(p)

    def forward(self, x):
        with torch.set_grad_enabled(self.training):
            self._out = self.twin(x)
        return self._out.detach()  # the model's loss and crop stay outside autograd, as with our framework

    def backward(self, grad):
        self._out.backward(grad.detach())
        self._out = None

    def requires_input_grad_(self, requires=True):
        """Nothing to set: autograd takes it from the input's ``requires_grad`` (False for images)."""
        return self

    def param(self):
        return [(p.detach(), p.grad) for p in self.twin.parameters()]

    def state_dict(self):
        return {k: v.detach() for k, v in self.twin.state_dict().items()}

    def load_state_dict(self, state):
        self.twin.load_state_dict(state)

    def train(self, mode=True):
        self.training = mode
        self.twin.train(mode)
        return self

    def eval(self):
        return self.train(False)


class TorchOptimizer:
    """A torch.optim optimizer with the from-scratch optimizers' ``lr`` attribute (what the schedules set)."""

    def __init__(self, optimizer):
        self.torch = optimizer

    @property
    def lr(self):
        return self.torch.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value):
        for group in self.torch.param_groups:
            group["lr"] = value

    def zero_grad(self):
        self.torch.zero_grad(set_to_none=False)

    def step(self):
        self.torch.step()

    def state_dict(self):
        return self.torch.state_dict()

    def load_state_dict(self, state):
        self.torch.load_state_dict(state)


class TwinModel(Model):
    """``Model`` training and predicting with the torch.nn twin of its network and torch.optim."""

    def _use(self, architecture, net, lr):
        super()._use(architecture, TwinNet(twin_of(net, architecture)), lr)

    def _new_optimizer(self, lr):
        params = [p for p in self.net.twin.parameters()]
        kind = self.recipe["optimizer"]
        optimizer = torch.optim.Adam(params, lr=lr) if kind == "adam" else torch.optim.SGD(params, lr=lr)
        self.optimizer = TorchOptimizer(optimizer)


class TwinStep:
    """One training step of a twin: forward, MSE, backward, SGD step."""

    def __init__(self, twin, lr=1e-3):
        self.twin, self.optimizer = twin, torch.optim.SGD(twin.parameters(), lr=lr)

    def __call__(self, x, y):
        self.optimizer.zero_grad(set_to_none=False)
        with torch.enable_grad():
            loss = nn.functional.mse_loss(self.twin(x), y)
            loss.backward()
        self.optimizer.step()
        return loss


class ScratchStep:
    """The same training step with the from-scratch framework."""

    def __init__(self, net, lr=1e-3):
        from Miniproject_2.others import MSE, SGD
        self.net, self.loss = net.requires_input_grad_(False), MSE()  # as autograd: images need no gradient
        self.optimizer = SGD(net.param(), lr=lr)

    def __call__(self, x, y):
        self.optimizer.zero_grad()
        loss = self.loss.forward(self.net.forward(x), y)
        self.net.backward(self.loss.backward())
        self.optimizer.step()
        return loss
