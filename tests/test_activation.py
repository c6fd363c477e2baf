"""ReLU, LeakyReLU and Sigmoid against torch and autograd."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from Miniproject_2.others import LeakyReLU, ReLU, Sigmoid
from oracle import check_module
from strategies import dtypes, random_input

shapes = st.lists(st.integers(1, 6), min_size=1, max_size=4).map(tuple)
ACTIVATIONS = [
    (lambda: ReLU(), F.relu),
    (lambda: LeakyReLU(), F.leaky_relu),
    (lambda: LeakyReLU(0.2), lambda x: F.leaky_relu(x, 0.2)),
    (lambda: LeakyReLU(-0.3), lambda x: F.leaky_relu(x, -0.3)),  # torch accepts any slope; so do we
    (lambda: LeakyReLU(1.5), lambda x: F.leaky_relu(x, 1.5)),
    (lambda: LeakyReLU(0.0), lambda x: F.leaky_relu(x, 0.0)),  # the two ends of the sign-clamp derivative's range
    (lambda: LeakyReLU(1.0), lambda x: F.leaky_relu(x, 1.0)),
    (lambda: Sigmoid(), torch.sigmoid),
]


@settings(max_examples=40)
@given(shapes, dtypes, st.sampled_from(range(len(ACTIVATIONS))), st.integers(0, 2**31 - 1))
def test_activations_match_autograd(shape, dtype, which, seed):
    make, ref = ACTIVATIONS[which]
    x = random_input(shape, seed) * 4
    x.view(-1)[0] = 0.0  # the kink: PyTorch's gradient there is 0 for ReLU and the slope for LeakyReLU
    check_module(make(), ref, x, dtype, params=())


@pytest.mark.parametrize("slope", [0.1, 0.0, 1.0, -0.3, 1.5])
def test_leaky_relu_training_pass_is_bit_exact_with_pytorch(slope):
    x = torch.randn(4, 6, 5, 5) * 3
    x.view(-1)[:4] = torch.tensor([0.0, -0.0, float("inf"), float("-inf")])
    g = torch.randn_like(x)
    with torch.enable_grad():
        leaf = x.clone().requires_grad_()
        F.leaky_relu(leaf, slope).backward(g)
    module = LeakyReLU(slope)
    exact = dict(rtol=0, atol=0, equal_nan=True)  # -inf times a slope of 0 is NaN for PyTorch too
    torch.testing.assert_close(module.forward(x), F.leaky_relu(x, slope), **exact)
    torch.testing.assert_close(module.backward(g), leaf.grad, **exact)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_sigmoid_is_finite_and_exact_at_extremes(dtype):
    x = torch.tensor([-1000.0, -100.0, -30.0, -1e-8, 0.0, 1e-8, 30.0, 100.0, 1000.0], dtype=dtype)
    s = Sigmoid()
    out = s.forward(x)
    assert torch.isfinite(out).all()
    # Subnormal results (sigmoid(-100) in float32) may be flushed to zero by torch, hence atol = tiny.
    rtol = 2e-7 if dtype == torch.float32 else 1e-15
    torch.testing.assert_close(out, torch.sigmoid(x), rtol=rtol, atol=torch.finfo(dtype).tiny)
    grad = s.backward(torch.ones_like(x))
    assert torch.isfinite(grad).all()
    assert grad[0] == 0 and grad[-1] == 0


@pytest.mark.parametrize("make, ref", [(lambda: ReLU(inplace=True), F.relu),
                                       (lambda: LeakyReLU(0.1, inplace=True), lambda x: F.leaky_relu(x, 0.1))])
def test_inplace_overwrites_input_and_backward_still_right(make, ref):
    x = torch.randn(4, 5)
    expected, g = ref(x), torch.randn(4, 5)
    with torch.enable_grad():
        leaf = x.clone().requires_grad_()
        ref(leaf).backward(g)
    module = make()
    out = module.forward(x)
    assert out.data_ptr() == x.data_ptr()
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(module.backward(g), leaf.grad)


def test_activations_have_no_parameters_and_reject_bad_input():
    for module in (ReLU(), LeakyReLU(), Sigmoid()):
        assert module.param() == []
        with pytest.raises(TypeError, match="floating-point"):
            module.forward(torch.arange(3))
        with pytest.raises(RuntimeError, match="forward"):
            type(module)().backward(torch.ones(3))
    with pytest.raises(TypeError, match="negative_slope"):
        LeakyReLU("0.1")
