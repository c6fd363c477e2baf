"""Tiled denoising equals one pass over the whole image."""
import pytest
import torch

from Miniproject_2.model import Model
from others.tiles import denoise_tiled


@pytest.mark.parametrize("h, w, color_augment", [(70, 45, False), (80, 68, True), (33, 97, True), (72, 72, False)])
def test_tiles_equal_the_whole_image_with_its_self_ensemble(h, w, color_augment):
    torch.manual_seed(0)
    model = Model()
    model.configure({"name": "unet", "widths": [4, 6, 8]}, self_ensemble=8, color_augment=color_augment)
    # Outputs well inside 0-255, as a trained denoiser's are: predict clamps each pass, the tiles each symmetry.
    *_, (_, tail_weight), (_, tail_bias) = model.net.state_dict().items()
    tail_weight.mul_(0.05), tail_bias.zero_()
    image = torch.randint(64, 192, (3, h, w), dtype=torch.uint8)
    whole = model.predict(image[None])[0]
    calls = []
    model.recipe["self_ensemble"] = 1
    tiled = denoise_tiled(lambda x: calls.append(x.shape) or model.predict(x), image, 4, tile=16, margin=24, batch=3,
                          self_ensemble=8, white=model.ensemble_white(255.0))
    assert len(calls) > 3  # it really went in pieces
    torch.testing.assert_close(tiled, whole, rtol=0, atol=2e-3)


def test_small_image_is_one_pass_and_bad_sizes_are_named():
    calls = []
    image = torch.rand(3, 20, 20) * 255
    denoise_tiled(lambda x: calls.append(x.shape) or x, image, 4, tile=16, margin=4)
    assert calls == [(1, 3, 20, 20)]
    with pytest.raises(ValueError, match="tile"):
        denoise_tiled(lambda x: x, torch.rand(3, 99, 99), 4, tile=18, margin=4)
    with pytest.raises(ValueError, match="margin"):
        denoise_tiled(lambda x: x, torch.rand(3, 99, 99), 4, tile=16, margin=6)
