"""Hypothesis strategies for convolution configurations."""
from hypothesis import assume, strategies as st

import torch

pairs = lambda low, high: st.tuples(st.integers(low, high), st.integers(low, high))


@st.composite
def conv_configs(draw, max_kernel=4, max_stride=3, max_padding=2, max_dilation=2, channels=(1, 4)):
    """Draw a valid convolution: channels, rectangular kernel, stride, padding, dilation, batch, odd sizes."""
    kernel = draw(pairs(1, max_kernel))
    dilation = draw(pairs(1, max_dilation))
    padding = draw(pairs(0, max_padding))
    cfg = dict(
        in_channels=draw(st.integers(*channels)), out_channels=draw(st.integers(*channels)), kernel_size=kernel,
        stride=draw(pairs(1, max_stride)), padding=padding, dilation=dilation, bias=draw(st.booleans()))
    h, w = (draw(st.integers(1, 11)) for _ in range(2))
    assume(all(size + 2 * p >= d * (k - 1) + 1 for size, p, d, k in zip((h, w), padding, dilation, kernel)))
    return cfg, (draw(st.integers(1, 5)), cfg["in_channels"], h, w)


dtypes = st.sampled_from([torch.float32, torch.float64])


def random_input(shape, seed):
    """Return a reproducible standard-normal float64 tensor."""
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
