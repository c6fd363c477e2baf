"""im2col against torch's unfold, and col2im as its exact adjoint."""
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from Miniproject_2.others.kernels.im2col import batch_first, channels_first, col2im, im2col
from strategies import conv_configs, random_input


@settings(max_examples=80)
@given(conv_configs(), st.integers(0, 2**31 - 1))
def test_im2col_equals_unfold_and_col2im_is_its_adjoint(config, seed):
    cfg, shape = config
    args = cfg["kernel_size"], cfg["stride"], cfg["padding"], cfg["dilation"]
    x = random_input(shape, seed)
    cols = im2col(x, *args)
    blocks = F.unfold(x, cfg["kernel_size"], cfg["dilation"], cfg["padding"], cfg["stride"])
    expected = blocks.permute(1, 0, 2).reshape(blocks.shape[1], -1)
    torch.testing.assert_close(cols, expected, rtol=0, atol=0)
    # <im2col(x), y> = <x, col2im(y)> for every y: the defining property of the adjoint.
    y = random_input(tuple(cols.shape), seed + 1)
    torch.testing.assert_close((cols * y).sum(), (x * col2im(y, shape, *args)).sum(), rtol=1e-12, atol=1e-12)


def test_layout_helpers_are_inverse():
    x = torch.randn(2, 3, 4, 5)
    m = channels_first(x)
    assert m.shape == (3, 40)
    torch.testing.assert_close(batch_first(m, 2, 4, 5), x, rtol=0, atol=0)
