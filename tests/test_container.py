"""Sequential, and the course network of the seed report (Table I) against the same net built from torch.nn."""
import pytest
import torch
import torch.nn.functional as F

from Miniproject_2.others import MSE, SGD, Conv2d, NearestUpsampling, ReLU, Sequential, Sigmoid


def course_network(c):
    """Table I of the seed report, from scratch."""
    return Sequential(Conv2d(3, c, 3, stride=2, padding=1), ReLU(), Conv2d(c, c, 3, stride=2, padding=1), ReLU(),
                      NearestUpsampling(2), Conv2d(c, c, 3, padding=1), ReLU(), NearestUpsampling(2),
                      Conv2d(c, 3, 3, padding=1), Sigmoid())


def torch_twin(ours):
    """The same network from torch.nn, with our weights copied in."""
    c = ours[0].out_channels
    twin = torch.nn.Sequential(torch.nn.Conv2d(3, c, 3, 2, 1), torch.nn.ReLU(), torch.nn.Conv2d(c, c, 3, 2, 1),
                               torch.nn.ReLU(), torch.nn.Upsample(scale_factor=2), torch.nn.Conv2d(c, c, 3, 1, 1),
                               torch.nn.ReLU(), torch.nn.Upsample(scale_factor=2), torch.nn.Conv2d(c, 3, 3, 1, 1),
                               torch.nn.Sigmoid()).double()
    twin.load_state_dict({k: v.double() for k, v in ours.state_dict().items()})
    return twin


@pytest.mark.parametrize("batch, size, width", [(1, 32, 8), (3, 12, 5), (2, 20, 16)])
def test_course_network_matches_torch_nn_including_one_sgd_step(batch, size, width):
    torch.manual_seed(batch)
    ours = course_network(width).to(torch.float64)
    twin = torch_twin(ours)
    x, target = torch.rand(batch, 3, size, size, dtype=torch.float64), torch.rand(batch, 3, size, size,
                                                                                 dtype=torch.float64)
    loss = MSE()
    out = ours.forward(x)
    value = loss.forward(out, target)
    ours.backward(loss.backward())
    SGD(ours.param(), lr=0.5, momentum=0.9).step()
    opt = torch.optim.SGD(twin.parameters(), lr=0.5, momentum=0.9)
    with torch.enable_grad():
        expected = twin(x)
        expected_loss = F.mse_loss(expected, target)
        expected_loss.backward()
    torch.testing.assert_close(out, expected.detach(), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(value, expected_loss.detach(), rtol=1e-12, atol=1e-14)
    grads = {name: p.grad for name, p in twin.named_parameters()}
    for name in grads:
        torch.testing.assert_close(ours.grad(name), grads[name], rtol=1e-10, atol=1e-12, msg=name)
    opt.step()
    for name, p in twin.named_parameters():
        torch.testing.assert_close(ours.state_dict()[name], p.detach(), rtol=1e-10, atol=1e-12, msg=name)


def test_course_block_test_for_sequential_over_seeds():
    """The grader's third block test: Sequential(conv, sigmoid) against torch, default allclose."""
    for seed in range(50):
        torch.manual_seed(seed)
        x = torch.randn(1, 3, 32, 32)
        conv, sigmoid = Conv2d(3, 3, 3), Sigmoid()
        expected = torch.sigmoid(F.conv2d(x, conv.weight, conv.bias))
        assert torch.allclose(Sequential(conv, sigmoid).forward(x), expected), seed
        assert torch.allclose(sigmoid.forward(x), torch.sigmoid(x)), seed


def test_sequential_naming_indexing_and_errors():
    net = Sequential(Conv2d(1, 2, 1), ReLU(), Conv2d(2, 1, 1))
    assert len(net) == 3 and isinstance(net[1], ReLU) and [type(m) for m in net] == [Conv2d, ReLU, Conv2d]
    assert list(net.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(net.param()) == 4
    with pytest.raises(TypeError, match="argument 1"):
        Sequential(ReLU(), torch.nn.ReLU())
