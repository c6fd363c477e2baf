"""FLOP counts used by the benchmark report."""
from others.bench.flops import conv_macs, course_executed_flops, course_training_flops


def test_conv_macs():
    assert conv_macs(3, 48, 3, 16, 16) == 3 * 48 * 9 * 256


def test_course_training_flops_counts_three_passes_but_two_for_the_first_layer():
    c = 48
    macs = [conv_macs(3, c, 3, 16, 16), conv_macs(c, c, 3, 8, 8), conv_macs(c, c, 3, 16, 16), conv_macs(c, 3, 3, 32, 32)]
    expected = 2 * (2 * macs[0] + 3 * sum(macs[1:]))
    assert course_training_flops(c, 1) == expected
    assert course_training_flops(c, 10) == 10 * expected


def test_course_executed_flops_counts_the_forms_that_run():
    c = 48
    convs = 2 * conv_macs(3, c, 3, 16, 16) + 3 * conv_macs(c, c, 3, 8, 8)
    folded = 3 * 16 * (c * c * 9 * 9 + c * 3 * 17 * 17)  # batch 1: both blocks fold their kernels
    assert course_executed_flops(c, 1) == 2 * (convs + folded)
    nine = 3 * 9 * (c * c * 8 * 8 + c * 3 * 16 * 16)  # batch 64: both blocks take the nine-product form
    assert course_executed_flops(c, 64) == 2 * 64 * (convs + nine)
    assert course_executed_flops(c, 64) < 0.45 * course_training_flops(c, 64)
