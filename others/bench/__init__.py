"""Benchmark machinery: fresh-process sweeps, allocator modes, FLOP counts, peak memory, layer timings, reports."""
