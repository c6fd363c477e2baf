"""PyTorch reference twins: the same networks with torch.nn, autograd and torch.optim, for comparison only."""
import torch
from torch import nn


class UpsampleConv(nn.Module):
    """Nearest upsampling then a convolution, with the from-scratch ``Upsampling`` block's parameter names."""

    def __init__(self, in_channels, out_channels, kernel_size, scale_factor=2, padding=0):
        super().__init__()
        self.upsample = nn.Upsample(scale_factor=scale_factor, mode="nearest")
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=padding)

    def forward(self, x):
        return self.conv(self.upsample(x))


def course_twin(width=48):
    """The course network of the seed report's Table I, in torch.nn (same layer order and parameter names)."""
    c = width
    return nn.Sequential(nn.Conv2d(3, c, 3, 2, 1), nn.ReLU(), nn.Conv2d(c, c, 3, 2, 1), nn.ReLU(),
                         UpsampleConv(c, c, 3, 2, 1), nn.ReLU(), UpsampleConv(c, 3, 3, 2, 1), nn.Sigmoid())


TWINS = {"course": course_twin}


def twin_of(scratch_net, architecture):
    """Return the torch.nn twin of a from-scratch network, starting from identical weights."""
    args = {k: v for k, v in architecture.items() if k != "name"}
    twin = TWINS[architecture["name"]](**args)
    first = next(iter(scratch_net.state_dict().values()))
    twin.to(device=first.device, dtype=first.dtype)
    with torch.no_grad():
        twin.load_state_dict({k: v.clone() for k, v in scratch_net.state_dict().items()})
    return twin


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
        self.net, self.loss = net, MSE()
        self.optimizer = SGD(net.param(), lr=lr)

    def __call__(self, x, y):
        self.optimizer.zero_grad()
        loss = self.loss.forward(self.net.forward(x), y)
        self.net.backward(self.loss.backward())
        self.optimizer.step()
        return loss
