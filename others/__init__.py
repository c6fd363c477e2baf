"""Everything outside the graded submission: stand-in data, PyTorch reference twins, grading helpers."""
