"""The eight symmetries of the square and the colour transforms used to augment training batches."""
import pytest
import torch

from Miniproject_2.others.denoiser.augment import (average_over_symmetries, dihedral, ensemble, random_color, random_symmetry,
                                          recolor, symmetries, undo_dihedral)


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


def test_ensemble_pairs_each_symmetry_with_its_negative_when_asked():
    assert ensemble(4, 5, 5) == [(0, False), (1, False), (2, False), (3, False)]
    assert ensemble(4, 5, 5, negatives=True) == [(0, False), (0, True), (1, False), (1, True)]
    assert ensemble(3, 5, 5, negatives=True) == [(0, False), (0, True), (1, False)]
    assert ensemble(16, 5, 5, negatives=True) == [(k, i) for k in range(8) for i in (False, True)]
    assert ensemble(16, 5, 4, negatives=True) == [(k, i) for k in range(4) for i in (False, True)]
    assert ensemble(1, 5, 5, negatives=True) == [(0, False)]


@pytest.mark.parametrize("white", [1.0, 255.0])
@pytest.mark.parametrize("count", [2, 3, 8])
def test_average_with_negatives_maps_each_negative_back(white, count):
    images = torch.rand(2, 3, 5, 5, dtype=torch.float64) * white
    ramp = torch.arange(5.0, dtype=torch.float64)  # neither equivariant nor odd about white / 2
    function = lambda x: x * x / white + ramp
    expected = []
    for k, invert in ensemble(count, 5, 5, negatives=True):
        moved = dihedral(images, k)
        out = white - function(white - moved) if invert else function(moved)
        expected.append(undo_dihedral(out, k))
    torch.testing.assert_close(average_over_symmetries(function, images, count, white=white),
                               sum(expected) / count)
    assert not torch.allclose(average_over_symmetries(function, images, count, white=white),
                              average_over_symmetries(function, images, count))


@pytest.mark.parametrize("order", [[0, 1, 2], [2, 0, 1], [1, 0, 2]])
@pytest.mark.parametrize("invert", [False, True])
def test_recolor_of_uint8_images_is_the_same_transform_of_the_uint8_values(order, invert):
    # Exact on the 0-255 grid: a clipped noisy pixel maps to a clipped noisy pixel of the transformed image.
    images = torch.randint(0, 256, (2, 3, 4, 5), dtype=torch.uint8)
    expected = images[:, order].double()
    expected = 255 - expected if invert else expected
    out = recolor(images.double() / 255, order, invert)
    assert out.shape == images.shape
    assert torch.equal((out * 255).round(), expected)
    assert torch.allclose(out * 255, expected, atol=1e-9)


def test_recolor_identity_keeps_the_images_and_inverting_twice_undoes_it():
    images = torch.rand(2, 3, 4, 4)
    assert torch.equal(recolor(images, [0, 1, 2], False), images)
    assert torch.equal(recolor(recolor(images, [0, 1, 2], True), [0, 1, 2], True), images)


def test_random_color_is_uniform_over_orders_and_negatives_and_seeded():
    torch.manual_seed(5)
    draws = [random_color(3) for _ in range(1200)]
    counts = {}
    for order, invert in draws:
        assert sorted(order) == [0, 1, 2]
        counts[tuple(order), invert] = counts.get((tuple(order), invert), 0) + 1
    assert len(counts) == 12 and min(counts.values()) > 60 and max(counts.values()) < 140  # 100 expected each
    torch.manual_seed(5)
    assert [random_color(3) for _ in range(1200)] == draws
