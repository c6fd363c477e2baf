"""others/bench/memory.py: the peak memory probe of a training step, in fresh processes."""
from others.bench import memory


def test_median_of_several_fresh_processes():
    record = memory.peak_step_memory("scratch", 4, 2, probes=3)
    rises = record["probes_kib"]
    assert len(rises) == 3 and rises == sorted(rises) and all(rise >= 0 for rise in rises)
    assert record["step_kib"] == rises[1] == record["peak_kib"] - record["before_kib"]
    single = memory.peak_step_memory("twin", 4, 2)
    assert "probes_kib" not in single and single["peak_kib"] >= single["before_kib"] > 0
