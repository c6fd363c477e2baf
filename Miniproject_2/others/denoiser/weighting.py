"""Per-image loss weights that balance the noise levels of a batch in blind training."""

REFERENCE_SIGMA = 25 / 255  # the noise level whose images keep weight 1
FLOOR_SIGMA = 1 / 255  # one grey level: a pair with (almost) no noise is weighted as if it had this much


def noise_weights(x, y, exponent, reference=REFERENCE_SIGMA, floor=FLOOR_SIGMA):
    """Return ``(reference / sigma_hat) ** exponent`` for each image of a Noise2Noise pair ``x``, ``y``.

    The two copies carry independent noise, so E[(x - y)^2] = 2 sigma^2 per pixel and
    sigma_hat^2 = mean((x - y)^2) / 2 estimates an image's noise variance from the pair alone, without being told
    it. Why weight: a denoiser's squared error on an image grows with the image's noise, so the plain mean over a
    batch of mixed levels is ruled by its noisiest images, while the score (the mean over images of
    PSNR_i = -10 log10 mse_i) moves by -10 / ln(10) * d mse_i / mse_i. Weighting each image's squared error by
    about 1 / mse_i descends that score instead. ``exponent`` 2 would match an error growing as sigma^2; a
    denoiser's grows more slowly, and weights 100 times apart between sigma 5 and 50 leave a batch of 8 ruled by its
    quietest image: measured, 1 did best (docs/model.md, "Weighting the noise levels").

    Args:
        x, y: the two noisy copies, on the [0, 1] scale.
        exponent: the power of ``reference / sigma_hat`` (0 gives weights of 1).
        reference: the noise standard deviation that gets weight 1.
        floor: the smallest ``sigma_hat`` used.

    Shape:
        x, y: (N, C, H, W); output: (N, 1, 1, 1), to multiply per-pixel gradients.
    """
    variance = (x - y).pow(2).flatten(1).mean(1).div_(2).clamp_(min=floor ** 2)
    return variance.pow_(-exponent / 2).mul_(reference ** exponent).view(-1, 1, 1, 1)
