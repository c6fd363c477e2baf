"""The PyTorch twins start from our weights and compute the same training step."""
import torch

from Miniproject_2.others import networks
from others.twin import ScratchStep, TwinStep, twin_of


def test_twin_matches_the_from_scratch_network_through_two_steps():
    torch.manual_seed(0)
    architecture = {"name": "course", "width": 6}
    net = networks.build(architecture).to(torch.float64)
    twin = twin_of(net, architecture)
    x, y = torch.rand(3, 3, 16, 20, dtype=torch.float64), torch.rand(3, 3, 16, 20, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(twin(x), net.forward(x))
    ours, theirs = ScratchStep(net, lr=0.5), TwinStep(twin, lr=0.5)
    for _ in range(2):
        torch.testing.assert_close(ours(x, y), theirs(x, y).detach())
    for name, p in twin.named_parameters():
        torch.testing.assert_close(net.state_dict()[name], p.detach(), msg=name)
