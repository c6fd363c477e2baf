"""denoiser/guard.py: the running mean of the loss and when a loss is a spike."""
import pytest

from Miniproject_2.others.denoiser.guard import LossWatch


def test_plain_mean_first_then_exponential():
    watch = LossWatch()
    for loss in (1.0, 2.0, 3.0):
        assert not watch.spiked(loss, factor=10, after=4)
    assert watch.mean == pytest.approx(2.0) and watch.seen == 3
    watch.spiked(6.0, factor=10, after=4)
    watch.spiked(10.0, factor=10, after=4)  # past the window: the new loss weighs 1/4
    assert watch.mean == pytest.approx(3.0 + (10.0 - 3.0) / 4)


def test_a_spike_fires_only_after_the_window_and_does_not_join_the_mean():
    watch = LossWatch()
    assert not watch.spiked(1.0, factor=10, after=2)
    assert not watch.spiked(50.0, factor=10, after=2)  # the mean is not settled yet
    mean = watch.mean
    assert watch.spiked(10 * mean + 1, factor=10, after=2)
    assert watch.mean == mean and watch.seen == 2
    assert not watch.spiked(1e9, factor=0, after=2)  # 0: the guard is off
