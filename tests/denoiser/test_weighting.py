"""denoiser/weighting.py: per-image loss weights from the noise level a Noise2Noise pair shows."""
import pytest
import torch

from Miniproject_2.others.denoiser.weighting import (
    FLOOR_SIGMA,
    REFERENCE_SIGMA,
    noise_weights,
)


def noisy_pairs(sigmas, size=64, seed=0):
    """Two independently noised copies of one random image per sigma (0-255 scale), on [0, 1]."""
    g = torch.Generator().manual_seed(seed)
    clean = torch.rand(len(sigmas), 3, size, size, generator=g, dtype=torch.float64)
    level = torch.tensor(sigmas, dtype=torch.float64).view(-1, 1, 1, 1) / 255
    return tuple(clean + level * torch.randn(clean.shape, generator=g, dtype=torch.float64) for _ in range(2))


@pytest.mark.parametrize("exponent", [0.5, 1.0, 2.0])
def test_weights_follow_the_noise_level_of_each_pair(exponent):
    sigmas = [5.0, 12.0, 25.0, 50.0]
    x, y = noisy_pairs(sigmas)
    weights = noise_weights(x, y, exponent)
    assert weights.shape == (4, 1, 1, 1)
    expected = torch.tensor([(25.0 / s) ** exponent for s in sigmas], dtype=torch.float64)
    torch.testing.assert_close(weights.flatten(), expected, rtol=0.05 * exponent, atol=0)  # 12,288 values each


def test_exponent_zero_weights_all_alike_and_the_inputs_are_left_alone():
    x, y = noisy_pairs([5.0, 40.0])
    before = x.clone(), y.clone()
    assert torch.equal(noise_weights(x, y, 0), torch.ones(2, 1, 1, 1, dtype=torch.float64))
    assert torch.equal(x, before[0]) and torch.equal(y, before[1])


def test_a_pair_without_noise_is_weighted_at_the_floor():
    x = torch.rand(2, 3, 8, 8)
    weights = noise_weights(x, x.clone(), 2.0)
    torch.testing.assert_close(weights.flatten(), torch.full((2,), (REFERENCE_SIGMA / FLOOR_SIGMA) ** 2))
    assert torch.isfinite(weights).all()
