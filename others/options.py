"""Command-line option types shared by test.py and the scripts in bin/ (no torch import, so ``--help`` stays quick)."""
import argparse


def thread_count(text):
    """The ``type`` of a ``--threads`` option: a whole number of CPU threads, at least 1."""
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of threads, at least 1; got {text!r}")
    return count
