"""denoiser/images.py: input checks naming the argument, scaling to [0, 1], padding to the network's grid."""
import pytest
import torch

from Miniproject_2.others.denoiser import images


@pytest.mark.parametrize("value, error, words", [([1, 2], TypeError, "must be a tensor"),
                                                 (torch.zeros(1, 3, 4, 4, dtype=torch.bool), TypeError, "real"),
                                                 (torch.zeros(3, 4, 4), ValueError, "(N, 3, H, W)"),
                                                 (torch.zeros(1, 3, 0, 4), ValueError, "at least 1x1")])
def test_bad_images_are_refused_by_name(value, error, words):
    with pytest.raises(error, match=r"^batch ") as raised:
        images.check_images("batch", value)
    assert words in str(raised.value)


def test_to_unit_clamps_and_refuses_nan():
    x = torch.tensor([[[[-5.0, 0.0], [255.0, 300.0]]]]).expand(1, 3, 2, 2)
    torch.testing.assert_close(images.to_unit(x, "x", "cpu")[0, 0], torch.tensor([[0.0, 0.0], [1.0, 1.0]]))
    with pytest.raises(ValueError, match="x contains NaN"):
        images.to_unit(torch.full((1, 3, 1, 1), float("nan")), "x", "cpu")


def test_padding_replicates_the_last_row_and_column():
    x = torch.arange(6.0).view(1, 1, 2, 3)
    out = images.pad_to_multiple(x, 4)
    assert out.shape == (1, 1, 4, 4)
    torch.testing.assert_close(out[0, 0, :2, :3], x[0, 0])
    assert (out[0, 0, 3] == out[0, 0, 1]).all() and (out[0, 0, :, 3] == out[0, 0, :, 2]).all()
    assert images.pad_to_multiple(out, 4) is out
