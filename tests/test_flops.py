"""FLOP counts used by the benchmark report."""
from others.flops import conv_macs, course_training_flops


def test_conv_macs():
    assert conv_macs(3, 48, 3, 16, 16) == 3 * 48 * 9 * 256


def test_course_training_flops_counts_three_passes_but_two_for_the_first_layer():
    c = 48
    macs = [conv_macs(3, c, 3, 16, 16), conv_macs(c, c, 3, 8, 8), conv_macs(c, c, 3, 16, 16), conv_macs(c, 3, 3, 32, 32)]
    expected = 2 * (2 * macs[0] + 3 * sum(macs[1:]))
    assert course_training_flops(c, 1) == expected
    assert course_training_flops(c, 10) == 10 * expected
