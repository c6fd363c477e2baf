"""The PyTorch twins start from our weights and compute the same training step."""
import pytest
import torch

from Miniproject_2.model import Model
from Miniproject_2.others.denoiser import networks
from others.twin import ScratchStep, TwinModel, TwinStep, twin_of


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


def trained(model_class, data, seed=0):
    torch.manual_seed(seed)
    model = model_class()
    model.configure({"name": "unet", "widths": [4, 6, 8]}, batch_size=16)
    model.progress = lambda *args: None
    model.train(*data, 2)
    return model


def test_twin_model_trains_like_the_model_same_batches_augmentation_and_schedule():
    g = torch.Generator().manual_seed(5)
    data = tuple(torch.randint(0, 256, (40, 3, 8, 8), dtype=torch.uint8, generator=g) for _ in range(2))
    ours, theirs = trained(Model, data), trained(TwinModel, data)
    assert ours.schedule is None and theirs.schedule is None  # both ran their whole cosine schedule
    assert ours.optimizer.lr == pytest.approx(0, abs=1e-12) and theirs.optimizer.lr == pytest.approx(0, abs=1e-12)
    mine, twins = ours.net.state_dict(), theirs.net.state_dict()
    assert list(mine) == list(twins)
    moved = 0
    for name in mine:
        torch.testing.assert_close(mine[name], twins[name], rtol=1e-4, atol=1e-5, msg=name)
        moved += (mine[name] - trained_start(name)).abs().max().item() > 1e-3
    assert moved > len(mine) // 2  # the comparison is not of two untrained networks
    torch.testing.assert_close(ours.predict(data[0]), theirs.predict(data[0]), rtol=0, atol=0.05)


def trained_start(name):
    torch.manual_seed(0)
    model = Model()
    model.configure({"name": "unet", "widths": [4, 6, 8]}, batch_size=16)
    return model.net.state_dict()[name]


def test_building_a_twin_leaves_the_global_generator_alone():
    net = networks.build({"name": "unet", "widths": [2, 3]})
    torch.manual_seed(1)
    expected = torch.rand(3)
    torch.manual_seed(1)
    twin_of(net, {"name": "unet", "widths": [2, 3]})
    assert torch.equal(torch.rand(3), expected)
