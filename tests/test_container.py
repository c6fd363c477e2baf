"""Containers: Sequential (and the course network of Table I against torch.nn), Identity, Concat and Add."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from Miniproject_2.others import (MSE, SGD, Add, Concat, Conv2d, Identity, NearestUpsampling, ReLU, Sequential, Sigmoid,
                                  TransposeConv2d, Upsampling)
from oracle import check_network
from strategies import dtypes, random_input


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


def torch_equivalent(module):
    """The torch.nn module computing what a from-scratch container tree computes (same parameter names)."""
    from others import twin
    kind = type(module).__name__
    if kind == "Conv2d":
        return torch.nn.Conv2d(module.in_channels, module.out_channels, module.kernel_size, module.stride,
                               module.padding, module.dilation, bias=module.bias is not None)
    if kind == "TransposeConv2d":
        return torch.nn.ConvTranspose2d(module.in_channels, module.out_channels, module.kernel_size, module.stride,
                                        module.padding, bias=module.bias is not None)
    if kind == "Upsampling":
        conv = module.conv
        return twin.UpsampleConv(conv.in_channels, conv.out_channels, conv.kernel_size, module.upsample.scale_factor,
                                 conv.padding, conv.stride)
    if kind in ("Sequential", "Concat", "Add"):
        children = [torch_equivalent(m) for m in module]
        return torch.nn.Sequential(*children) if kind == "Sequential" else getattr(twin, kind)(children)
    return {"Identity": torch.nn.Identity, "ReLU": torch.nn.ReLU, "Sigmoid": torch.nn.Sigmoid}[kind]()


@st.composite
def branch_trees(draw, channels, depth=2):
    """A random module mapping (N, channels, H, W) to (N, out, H, W); returns (module, out)."""
    leaves = ["identity", "conv", "transpose", "upsampling"]
    kind = draw(st.sampled_from(leaves + ["sequential", "concat", "add"] if depth else leaves))
    if kind == "identity":
        return Identity(), channels
    if kind == "transpose":  # size-preserving, so that the branches' outputs line up
        out = draw(st.integers(1, 3))
        return TransposeConv2d(channels, out, 3, padding=1), out
    if kind == "upsampling":  # x2 then a stride-2 convolution: the input's size again
        out = draw(st.integers(1, 3))
        return Upsampling(channels, out, 3, scale_factor=2, stride=2, padding=1), out
    if kind == "conv":
        out, k = draw(st.integers(1, 3)), draw(st.sampled_from([1, 3]))
        return Conv2d(channels, out, k, padding=k // 2, bias=draw(st.booleans())), out
    if kind == "sequential":
        first, c = draw(branch_trees(channels, depth - 1))
        second, out = draw(branch_trees(c, depth - 1))
        return Sequential(first, draw(st.sampled_from([ReLU, Sigmoid]))(), second), out
    branches = [draw(branch_trees(channels, depth - 1)) for _ in range(draw(st.integers(2, 3)))]
    if kind == "concat":
        return Concat(*(b for b, _ in branches)), sum(c for _, c in branches)
    same = [b if c == channels else Sequential(b, Conv2d(c, channels, 1)) for b, c in branches]
    return Add(*same), channels


@settings(max_examples=60)
@given(st.data(), st.integers(1, 3), st.integers(1, 3), st.integers(1, 7), st.integers(1, 7), dtypes,
       st.integers(0, 2**31 - 1))
def test_branch_containers_match_autograd(data, batch, channels, h, w, dtype, seed):
    torch.manual_seed(seed)
    net, _ = data.draw(branch_trees(channels))
    check_network(net, torch_equivalent(net), random_input((batch, channels, h, w), seed), dtype, seed)


def test_concat_splits_the_gradient_by_channels():
    a, b = Conv2d(2, 3, 1), Conv2d(2, 1, 1)
    x = torch.rand(2, 2, 4, 4)
    out = Concat(a, Identity(), b).forward(x)
    assert out.shape == (2, 6, 4, 4)
    torch.testing.assert_close(out[:, 3:5], x)
    grad = torch.zeros(2, 6, 4, 4)
    grad[:, 3:5] = 1  # only the identity's channels: dL/dx = 1 and the convolutions get nothing
    concat = Concat(a, Identity(), b)
    concat.forward(x)
    torch.testing.assert_close(concat.backward(grad), torch.ones(2, 2, 4, 4))
    assert a.grad("weight").abs().sum() == 0 and b.grad("bias").abs().sum() == 0


def test_add_does_not_write_into_its_input_or_gradient():
    x, grad = torch.rand(1, 2, 3, 3), torch.rand(1, 2, 3, 3)
    x0, grad0 = x.clone(), grad.clone()
    add = Add(Identity(), Identity(), Identity())
    torch.testing.assert_close(add.forward(x), 3 * x0)
    torch.testing.assert_close(add.backward(grad), 3 * grad0)
    assert torch.equal(x, x0) and torch.equal(grad, grad0)


@pytest.mark.parametrize("make, words", [
    (lambda: Concat(Identity()), "at least 2 branches"),
    (lambda: Add(Identity(), torch.nn.Identity()), "argument 1 must be a Module"),
])
def test_bad_branches_are_named(make, words):
    with pytest.raises((ValueError, TypeError), match=words):
        make()


def test_mismatched_branch_outputs_and_gradients_are_named():
    x = torch.rand(1, 2, 6, 6)
    with pytest.raises(ValueError, match="agree in all but the channels"):
        Concat(Identity(), Conv2d(2, 2, 3)).forward(x)
    with pytest.raises(ValueError, match="same shape"):
        Add(Identity(), Conv2d(2, 3, 1)).forward(x)
    concat = Concat(Identity(), Conv2d(2, 2, 1))
    concat.forward(x)
    with pytest.raises(ValueError, match=r"\(1, 4, 6, 6\)"):
        concat.backward(torch.rand(1, 3, 6, 6))
    with pytest.raises(RuntimeError, match="forward"):
        Add(Identity(), Identity()).backward(x)
