"""The C allocator's state during a benchmark, and the page faults a step costs.

PyTorch's CPU tensors come from glibc's malloc. A block above glibc's mmap threshold (128 KiB at start) gets pages
of its own, which the kernel maps on first touch (a minor page fault per 4 KiB) and which go back to the system
when it is freed; freed memory at the top of the heap is also handed back above the trim threshold. glibc raises
both thresholds when it frees such a block (up to 32 MiB), so a process's speed depends on what it allocated
before: the twin's training step at C = 48, batch 16 ran at 990-1,440 images/s in a fresh process and at 2,630
once both thresholds were set high (its 3,300 page faults per step gone). A step of ours reuses its scratch
memory and takes far fewer. The benchmarks therefore run in one of two stated modes (``MODES``):

- ``default``: glibc as a fresh process has it, each configuration in its own process (``bin/benchmark``), so
  that no configuration inherits thresholds raised by another (whether the twin faults at a configuration still
  changes from run to run, and these ratios with it);
- ``no-page-faults``: both thresholds set to 1 GiB before anything runs (``mallopt``), so freed memory stays
  mapped and is reused: the speed of the arithmetic and the copies alone.
"""
import ctypes
import ctypes.util
import resource

MODES = ("default", "no-page-faults")
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
KEEP_MAPPED = 1 << 30


def apply(mode):
    """Put the allocator in ``mode`` (one of ``MODES``) for the rest of the process; return ``mode``.

    Raises RuntimeError for ``no-page-faults`` where the C library is not glibc or refuses the setting.
    """
    if mode not in MODES:
        raise ValueError(f"allocator mode must be one of {MODES}, got {mode!r}")
    if mode == "no-page-faults":
        name = ctypes.util.find_library("c")
        libc = ctypes.CDLL(name) if name else None
        if libc is None or not hasattr(libc, "mallopt"):
            raise RuntimeError("allocator mode 'no-page-faults' needs glibc's mallopt, which this system lacks")
        for parameter in (M_MMAP_THRESHOLD, M_TRIM_THRESHOLD):
            if libc.mallopt(parameter, KEEP_MAPPED) != 1:
                raise RuntimeError(f"mallopt({parameter}, {KEEP_MAPPED}) was refused")
    return mode


def minor_faults():
    """Minor page faults this process has taken so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def faults_per_call(function, calls=3):
    """Call ``function`` ``calls`` times and return the minor page faults per call."""
    start = minor_faults()
    for _ in range(calls):
        function()
    return (minor_faults() - start) / calls
