"""Module: parameters, gradients, state dicts, devices, modes and the autograd-free contract."""
import pytest
import torch

from Miniproject_2.others import SGD, Conv2d, Module, ReLU, Sequential, Sigmoid


def small_net():
    return Sequential(Conv2d(2, 3, 3, padding=1), ReLU(), Sequential(Conv2d(3, 2, 1), Sigmoid()))


def test_call_is_forward():
    torch.manual_seed(0)
    net, x = small_net(), torch.randn(1, 2, 5, 5)
    torch.testing.assert_close(net(x), net.forward(x), rtol=0, atol=0)


def test_state_dict_has_dotted_keys_and_round_trips():
    torch.manual_seed(0)
    a, b = small_net(), small_net()
    assert list(a.state_dict()) == ["0.weight", "0.bias", "2.0.weight", "2.0.bias"]
    b.load_state_dict(a.state_dict())
    for (pa, _), (pb, _) in zip(a.param(), b.param()):
        assert torch.equal(pa, pb) and pa.data_ptr() != pb.data_ptr()


def test_load_state_dict_names_missing_unexpected_and_misshapen_keys():
    net = small_net()
    state = dict(net.state_dict())
    del state["0.bias"]
    state["extra.weight"] = torch.zeros(1)
    with pytest.raises(KeyError, match=r"missing keys \['0.bias'\].*unexpected keys \['extra.weight'\]"):
        net.load_state_dict(state)
    bad = dict(net.state_dict()) | {"2.0.weight": torch.zeros(2, 3, 3, 3)}
    with pytest.raises(ValueError, match="2.0.weight"):
        net.load_state_dict(bad)
    net.load_state_dict({"0.bias": torch.ones(3)}, strict=False)
    assert torch.equal(net.state_dict()["0.bias"], torch.ones(3))


def test_to_casts_in_place_keeping_optimizer_pairs_valid():
    net = small_net()
    optimizer = SGD(net.param(), lr=0.1)
    net.to(torch.float64)
    assert all(p.dtype == torch.float64 and g.dtype == torch.float64 for p, g in net.param())
    assert all(a is b for (a, _), (b, _) in zip(optimizer.params, net.param()))
    net.forward(torch.randn(1, 2, 4, 4, dtype=torch.float64))
    net.backward(torch.ones(1, 2, 4, 4, dtype=torch.float64))
    before = net.state_dict()["0.weight"].clone()
    optimizer.step()
    assert not torch.equal(before, net.state_dict()["0.weight"])


def test_parameter_assignment_copies_and_checks_shape():
    conv = Conv2d(1, 1, 2)
    weight = conv.weight
    conv.weight = torch.ones(1, 1, 2, 2)
    assert conv.weight is weight and torch.equal(weight, torch.ones(1, 1, 2, 2))
    with pytest.raises(ValueError, match=r"weight must be a tensor of shape \(1, 1, 2, 2\)"):
        conv.weight = torch.ones(2, 2)


def test_eval_mode_saves_nothing_and_backward_then_raises():
    net = small_net()
    x = torch.randn(2, 2, 5, 5)
    expected = net.forward(x)
    net.eval()
    torch.testing.assert_close(net.forward(x), expected, rtol=0, atol=0)
    assert all(m._context is None for m in net.modules())
    with pytest.raises(RuntimeError, match="eval mode"):
        net.backward(torch.ones_like(expected))
    net.train()
    net.forward(x)
    assert net.backward(torch.ones_like(expected)).shape == x.shape


def test_works_with_grad_disabled_and_builds_no_graph_with_grad_enabled():
    net = small_net()
    x = torch.randn(1, 2, 5, 5)
    for enabled in (False, True):
        with torch.set_grad_enabled(enabled):
            out = net.forward(x)
            grad = net.backward(torch.ones_like(out))
        assert out.grad_fn is None and not out.requires_grad and grad.grad_fn is None
        assert all(not p.requires_grad for p, _ in net.param())


def test_unknown_gradient_name_and_attribute_are_clear():
    net = small_net()
    with pytest.raises(KeyError, match="known"):
        net.grad("0.nope")
    with pytest.raises(AttributeError, match="nope"):
        net.nope


def test_base_module_requires_overrides():
    with pytest.raises(NotImplementedError, match="forward"):
        Module().forward(torch.zeros(1))
    with pytest.raises(NotImplementedError, match="backward"):
        Module().backward(torch.zeros(1))
    assert Module().param() == []
    with pytest.raises(TypeError, match="must be a tensor"):
        Module().register_parameter("w", [1.0])


def _blocks_reading_data():
    from Miniproject_2.others import Add, Concat, Identity, LeakyReLU, TransposeConv2d, Upsampling
    from Miniproject_2.others.denoiser import networks
    return {
        "Conv2d": lambda: Conv2d(3, 4, 3, stride=2, padding=1),
        "TransposeConv2d": lambda: TransposeConv2d(3, 4, 3, stride=2, padding=1),
        "Upsampling (fused)": lambda: Upsampling(3, 4, 3, scale_factor=2, padding=1),
        "Upsampling (plain)": lambda: Upsampling(3, 4, 2, scale_factor=2),
        "Sequential": lambda: Sequential(ReLU(), Conv2d(3, 4, 3, padding=1)),  # the first module has no parameters
        "Concat": lambda: Concat(Identity(), Sequential(Conv2d(3, 2, 1), LeakyReLU())),
        "Add": lambda: Add(Identity(), Sequential(Conv2d(3, 3, 3, padding=1), LeakyReLU())),
        "U-Net": lambda: networks.build({"name": "unet", "widths": [4, 6, 8]}),
        "course network": lambda: networks.build({"name": "course", "width": 5}),
    }


@pytest.mark.parametrize("name", list(_blocks_reading_data()))
def test_requires_input_grad_off_gives_the_same_parameter_gradients(name):
    """With ``requires_input_grad_(False)`` backward may return None but accumulates exactly the same parameter
    gradients; switching it back on restores dL/dinput."""
    torch.manual_seed(0)
    block = _blocks_reading_data()[name]().to(dtype=torch.float64)
    assert block.needs_input_grad is True
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    g = torch.randn(block.forward(x).shape, dtype=torch.float64)
    full = block.backward(g)
    expected = [grad.clone() for _, grad in block.param()]
    assert block.requires_input_grad_(False) is block
    block.zero_grad()
    block.forward(x)
    skipped = block.backward(g)
    for (_, grad), want in zip(block.param(), expected):
        assert torch.equal(grad, want)
    parameters_first = name not in ("Sequential",)  # a ReLU in front returns its gradient anyway
    assert (skipped is None) == parameters_first
    block.requires_input_grad_(True)
    block.forward(x)
    assert torch.equal(block.backward(g), full)


def test_sequential_passes_requires_input_grad_to_its_first_module_only():
    net = Sequential(Conv2d(2, 3, 1), ReLU(), Conv2d(3, 2, 1))
    net.requires_input_grad_(False)
    assert [m.needs_input_grad for m in net] == [False, True, True]
    net.requires_input_grad_(True)
    assert [m.needs_input_grad for m in net] == [True, True, True]
