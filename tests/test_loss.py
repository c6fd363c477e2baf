"""MSE against torch.nn.functional.mse_loss and autograd."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from Miniproject_2.others import MSE
from oracle import assert_close
from strategies import dtypes, random_input


@settings(max_examples=40)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=4).map(tuple), dtypes, st.sampled_from(["mean", "sum"]),
       st.integers(0, 2**31 - 1))
def test_mse_matches_autograd(shape, dtype, reduction, seed):
    prediction, target = random_input(shape, seed).to(dtype), random_input(shape, seed + 1).to(dtype)
    with torch.enable_grad():
        leaf = prediction.double().requires_grad_()
        expected = F.mse_loss(leaf, target.double(), reduction=reduction)
        expected.backward()
    loss = MSE(reduction)
    assert_close(loss.forward(prediction, target), expected.detach(), dtype, "loss")
    assert_close(loss.backward(), leaf.grad, dtype, "gradient")
    assert_close(loss.backward(torch.tensor(3.0, dtype=dtype)), 3 * leaf.grad, dtype, "scaled gradient")


def test_mse_rejects_mismatched_shapes_and_bad_reduction():
    with pytest.raises(ValueError, match="same shape"):
        MSE().forward(torch.zeros(2, 3), torch.zeros(3, 2))
    with pytest.raises(TypeError, match="target"):
        MSE().forward(torch.zeros(2), torch.zeros(2, dtype=torch.uint8))
    with pytest.raises(ValueError, match="reduction"):
        MSE("none")
    with pytest.raises(RuntimeError, match="forward"):
        MSE().backward()
