"""The thread governor's choices (others/threads.py), driven by a fake clock and fake rates."""
import pytest
import torch

from others import threads


class Machine:
    """A fake machine: ``rate[threads]`` images per second; ``train(images)`` advances the clock accordingly."""

    def __init__(self, rate, most=2, **options):
        self.rate, self.now, self.set = dict(rate), 0.0, []
        self.governor = threads.Governor(most, clock=lambda: self.now, set_threads=self.set.append, **options)
        self.done = 0

    def train(self, batches, batch=8):
        for _ in range(batches):
            self.now += batch / self.rate[self.governor.threads]
            self.done += batch
            self.governor(self.done)


def test_counts_halve_down_to_one():
    assert threads.counts(16) == [16, 8, 4, 2, 1]
    assert threads.counts(6) == [6, 3, 1]
    assert threads.counts(1) == [1]


def test_an_idle_machine_keeps_every_thread_after_trying_fewer():
    machine = Machine({2: 330, 1: 170}, window=1.0, explore_every=5)
    machine.train(2000)
    tried = [count for count, _ in machine.governor.history]
    assert 1 in tried  # it did look
    assert machine.governor.chosen == 2
    assert tried.count(2) > 5 * tried.count(1)


def test_a_busy_core_moves_it_to_one_thread_and_back_when_the_load_goes():
    machine = Machine({2: 48, 1: 200}, window=1.0, explore_every=5)
    machine.train(600)
    assert machine.governor.chosen == 1
    machine.rate = {2: 330, 1: 170}  # the other process ended
    machine.train(3000)
    assert machine.governor.chosen == 2
    assert machine.set[0] == 2 and 1 in machine.set


def test_it_starts_where_it_is_told_and_explores_both_ways():
    machine = Machine({8: 100, 4: 300, 2: 200, 1: 50}, most=8, start=4, window=1.0, explore_every=2)
    assert machine.set == [4]
    machine.train(3000)
    assert machine.governor.chosen == 4
    assert {count for count, _ in machine.governor.history} == {8, 4, 2}


def test_done_restarting_at_each_epoch_still_counts_images():
    governor = threads.Governor(2, clock=lambda: 0.0, set_threads=lambda n: None)
    for done in (8, 16, 24, 8, 16):
        governor(done)
    assert governor.images == 32  # the first call only starts the clock


def test_free_cores_subtracts_what_others_use(monkeypatch):
    ticks = iter([(100, 1000), (100 + 150, 1000 + 200)])  # 75 % of the machine busy over the probe
    monkeypatch.setattr(threads, "_cpu_ticks", lambda: next(ticks))
    monkeypatch.setattr(threads, "cores", lambda: 2)
    monkeypatch.setattr(threads.os, "cpu_count", lambda: 2)
    assert threads.free_cores(0.1, sleep=lambda s: None) == 1  # 1.5 cores busy: one of two left


def test_free_cores_without_proc_stat_trusts_every_core(monkeypatch):
    monkeypatch.setattr(threads, "_cpu_ticks", lambda: None)
    monkeypatch.setattr(threads, "cores", lambda: 3)
    assert threads.free_cores(0.1, sleep=lambda s: None) == 3


def test_free_cores_on_this_machine_is_a_valid_count():
    assert 1 <= threads.free_cores(0.05) <= threads.cores()


def test_govern_wraps_progress_and_keeps_the_report(monkeypatch):
    monkeypatch.setattr(threads, "free_cores", lambda: 1)
    before = torch.get_num_threads()
    calls = []

    class Fake:
        progress = staticmethod(lambda *args: calls.append(args))

    model = Fake()
    try:
        governor = threads.govern(model, threads.governor(most=2))
        assert governor.threads == 1 and torch.get_num_threads() == 1
        model.progress(8, 16, 0.5, 0.0)
        assert calls == [(8, 16, 0.5, 0.0)]
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("start", [0, 3, 100])
def test_a_start_outside_the_counts_takes_the_nearest(start):
    governor = threads.Governor(2, start=start, set_threads=lambda n: None)
    assert governor.threads == (1 if start < 2 else 2)


def test_a_new_wrap_drops_the_window_that_held_time_outside_training():
    now = [0.0]
    governor = threads.Governor(2, clock=lambda: now[0], set_threads=lambda n: None, window=1.0)
    progress = governor.wrap(lambda *args: None)
    for done in range(8, 488, 8):  # 60 batches at 0.02 s: one window of 50 batches, 400 img/s
        now[0] += 0.02
        progress(done, 400, 0.1, 0.0)
    now[0] += 30.0  # a long validation between two epochs
    progress = governor.wrap(lambda *args: None)
    for done in range(8, 488, 8):
        now[0] += 0.02
        progress(done, 400, 0.1, 0.0)
    assert governor.history and all(rate == pytest.approx(400) for _, rate in governor.history)


def test_settle_takes_a_fixed_count_or_the_free_cores(monkeypatch):
    monkeypatch.setattr(threads, "free_cores", lambda: 1)
    monkeypatch.setattr(threads, "cores", lambda: 2)
    before = torch.get_num_threads()
    try:
        assert threads.settle(3) == 3 and torch.get_num_threads() == 3
        assert threads.settle() == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
