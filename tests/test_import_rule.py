"""The course import rule holds for every source file of the submission; the checker itself can fail."""
import pytest

from others.import_rule import violations, violations_in_source
from conftest import ROOT


def test_submission_follows_the_import_rule():
    assert violations(ROOT / "Miniproject_2") == []
    assert len(list((ROOT / "Miniproject_2").rglob("*.py"))) >= 10  # the walk really found the sources


@pytest.mark.parametrize("source, words", [
    ("import torch", "imports torch"),
    ("import numpy as np", "imports numpy"),
    ("from torch import empty, zeros", "['zeros'] from torch"),
    ("from torch.nn import Conv2d", "from torch.nn"),
    ("from torch.nn.functional import conv2d", "['conv2d']"),
    ("m = __import__('torch')", "__import__"),
    ("eval('1')", "eval"),
    ("exec('x = 1')", "exec"),
    ("import builtins\nbuiltins.__import__('torch')", "__import__"),
    ("import builtins\nbuiltins.exec('import torch')", ".exec"),
])
def test_checker_catches_each_kind_of_violation(source, words):
    found = violations_in_source(source)
    assert len(found) == 1 and words in found[0], found


@pytest.mark.parametrize("source", [
    "from torch import empty, cat, arange", "from torch.nn.functional import fold, unfold",
    "import math, pickle", "from collections import OrderedDict", "from .module import Module",
    "net.eval()",
])
def test_checker_allows_the_allowed(source):
    assert violations_in_source(source) == []
