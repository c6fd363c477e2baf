"""PSNR as the course computes it: the mean of per-image PSNR on [0, 1]."""
import math

import pytest
import torch

from others.metrics import psnr, psnr_uint8, validation_psnr


def test_psnr_is_the_mean_of_per_image_values():
    clean = torch.zeros(2, 3, 4, 4)
    noisy = clean.clone()
    noisy[0] += 0.1  # mse 0.01 -> 20 dB
    noisy[1] += 0.01  # mse 1e-4 -> 40 dB
    assert psnr(noisy, clean) == pytest.approx(30.0)
    assert psnr_uint8((noisy * 255).round().to(torch.uint8), clean.to(torch.uint8)) == pytest.approx(
        -10 * (math.log10((26 / 255) ** 2) + math.log10((3 / 255) ** 2)) / 2)


def test_psnr_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="shapes differ"):
        psnr(torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 5))


def test_validation_psnr_predicts_in_batches_of_100_like_the_course():
    class Identity:
        sizes = []

        def predict(self, x):
            self.sizes.append(x.shape[0])
            return x.float()

    noisy = torch.randint(0, 256, (250, 3, 4, 4), dtype=torch.uint8)
    clean = torch.randint(0, 256, (250, 3, 4, 4), dtype=torch.uint8)
    model = Identity()
    assert validation_psnr(model, noisy, clean) == pytest.approx(psnr_uint8(noisy, clean))
    assert model.sizes == [100, 100, 50]
