"""Argument validation helpers: each error names the argument and the value."""
import pytest

from Miniproject_2.others.checks import check_choice, check_int, check_number, pair


def test_pair_accepts_ints_and_pairs():
    assert pair("k", 3, 1) == (3, 3)
    assert pair("k", (2, 5), 1) == (2, 5)
    assert pair("k", [0, 1], 0) == (0, 1)


@pytest.mark.parametrize("value, error", [(True, TypeError), (2.0, TypeError), ((1, 2, 3), TypeError),
                                          ((1, "2"), TypeError), (0, ValueError), ((3, 0), ValueError)])
def test_pair_rejects_with_name_and_value(value, error):
    with pytest.raises(error, match=r"stride") as info:
        pair("stride", value, 1)
    assert repr(value) in str(info.value) or str(tuple(value) if isinstance(value, tuple) else value) in str(info.value)


def test_scalar_checks():
    assert check_int("n", 4, 0) == 4
    with pytest.raises(TypeError, match="n must be an integer"):
        check_int("n", 4.0, 0)
    with pytest.raises(ValueError, match="n must be >= 1, got 0"):
        check_int("n", 0, 1)
    assert check_number("lr", 1, minimum=0) == 1.0
    with pytest.raises(ValueError, match="NaN"):
        check_number("lr", float("nan"))
    with pytest.raises(ValueError, match="beta must be < 1"):
        check_number("beta", 1.0, below=1)
    with pytest.raises(ValueError, match="mode must be one of"):
        check_choice("mode", "x", ("a", "b"))
