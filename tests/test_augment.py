"""The eight symmetries of the square used to augment training batches."""
import pytest
import torch

from Miniproject_2.others.augment import (average_over_symmetries, dihedral, random_symmetry, symmetries,
                                          undo_dihedral)


def test_eight_distinct_symmetries_that_keep_every_pixel():
    x = torch.arange(2 * 3 * 4 * 4.0).view(2, 3, 4, 4)
    images = [dihedral(x, k) for k in range(8)]
    assert len({tuple(i.flatten().tolist()) for i in images}) == 8
    for image in images:
        assert image.shape == x.shape
        assert torch.equal(image.flatten(2).sort(2).values, x.flatten(2).sort(2).values)  # a permutation per channel
    # the four rotations are among them
    for turns in range(4):
        assert any(torch.equal(x.rot90(turns, (2, 3)), image) for image in images), turns


def test_non_square_images_keep_their_shape():
    x = torch.rand(1, 3, 4, 6)
    assert all(dihedral(x, k).shape == x.shape for k in range(8))
    assert torch.equal(dihedral(x, 4), x)


def test_random_symmetry_is_uniform_over_the_eight_and_seeded():
    torch.manual_seed(3)
    draws = [random_symmetry() for _ in range(800)]
    counts = [draws.count(k) for k in range(8)]
    assert min(counts) > 60 and max(counts) < 140
    torch.manual_seed(3)
    assert [random_symmetry() for _ in range(800)] == draws


def test_undo_inverts_every_symmetry():
    x = torch.rand(2, 3, 5, 5)
    for k in range(8):
        assert torch.equal(undo_dihedral(dihedral(x, k), k), x), k
        assert torch.equal(undo_dihedral(dihedral(x[..., :4], k), k), x[..., :4]), k


def test_symmetries_leave_out_the_swap_for_non_square_images():
    assert symmetries(8, 5, 5) == list(range(8))
    assert symmetries(8, 5, 4) == [0, 1, 2, 3]
    assert symmetries(2, 3, 9) == [0, 1] and symmetries(1, 4, 4) == [0]


@pytest.mark.parametrize("count", [1, 2, 4, 8])
def test_average_over_symmetries_is_the_mean_of_the_mapped_back_outputs(count):
    images = torch.randn(2, 3, 5, 5, dtype=torch.float64)
    ramp = torch.arange(5.0, dtype=torch.float64)  # a function that is not equivariant: it sees the orientation
    function = lambda x: x * 2 + ramp
    expected = sum(undo_dihedral(function(dihedral(images, k)), k) for k in range(count)) / count
    torch.testing.assert_close(average_over_symmetries(function, images, count), expected)
