"""others/options.py: command-line option types shared by test.py and the scripts."""
import argparse
import subprocess
import sys

import pytest

from conftest import ROOT
from others.options import thread_count


@pytest.mark.parametrize("text, count", [("1", 1), ("16", 16), (" 3 ", 3)])
def test_thread_count_takes_whole_numbers_from_one(text, count):
    assert thread_count(text) == count


@pytest.mark.parametrize("text", ["0", "-2", "1.5", "two", ""])
def test_thread_count_refuses_anything_else_and_names_it(text):
    with pytest.raises(argparse.ArgumentTypeError, match=f"at least 1; got {text!r}"):
        thread_count(text)


@pytest.mark.parametrize("script, rest", [("test.py", []), ("bin/train", []), ("bin/denoise", ["x.png"]),
                                          ("bin/rehearse", [])])
def test_every_threads_option_refuses_zero_before_any_work(script, rest):
    done = subprocess.run([sys.executable, str(ROOT / script), "--threads", "0", *rest], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and "argument --threads: must be a whole number of threads" in done.stderr
