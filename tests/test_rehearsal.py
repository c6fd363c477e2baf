"""others/rehearsal.py: the course's one-epoch check, in this process and in a fresh one."""
import torch

from conftest import ROOT
from others import rehearsal, threads


def test_one_check_reports_before_after_and_its_verdict(tiny_data):
    result = rehearsal.one_check(ROOT, tiny_data, seed=3)
    assert result["seed"] == 3 and result["epoch_s"] > 0
    assert result["gain_db"] == result["after_db"] - result["before_db"]
    assert result["passed"] == (result["after_db"] > result["before_db"])
    assert result["before_db"] > 25  # the shipped model, loaded


def test_fresh_processes_repeat_a_seed_exactly(tiny_data):
    first = rehearsal.fresh_process(ROOT, tiny_data, seed=5, threads=1)
    second = rehearsal.fresh_process(ROOT, tiny_data, seed=5, threads=1)
    assert first["after_db"] == second["after_db"] and first["before_db"] == second["before_db"]


def test_table_counts_the_passes_and_gives_the_gains():
    runs = [{"seed": 0, "before_db": 30.0, "after_db": 30.1, "gain_db": 0.1, "epoch_s": 120.0, "passed": True},
            {"seed": 1, "before_db": 30.0, "after_db": 29.99, "gain_db": -0.01, "epoch_s": 130.0, "passed": False}]
    text = rehearsal.table(runs)
    assert "| 0 | 30.000 | 30.100 | +0.100 | 120 | yes |" in text and "| 1 | 30.000 | 29.990 | -0.010 | 130 | no |" in text
    assert text.splitlines()[-1] == "1 of 2 passed; gain -0.010 to +0.100 dB, mean +0.045 dB."


class Counting:
    """A stand-in model: ``predict`` returns its input, ``train`` reports two batches and notes the thread count."""
    device = "cpu"

    def __init__(self):
        self.progress, self.seen = (lambda *args: None), []

    def predict(self, x):
        return x.float()

    def train(self, x, y, num_epochs):
        for done in (8, 16):
            self.progress(done, 16, 0.1, 0.0)
        self.seen.append(torch.get_num_threads())


def test_one_epoch_governs_the_threads_by_default_and_puts_them_back(monkeypatch):
    monkeypatch.setattr(threads, "free_cores", lambda: 1)
    model, images = Counting(), torch.zeros(4, 3, 8, 8, dtype=torch.uint8)
    was = torch.get_num_threads()
    rehearsal.one_epoch(model, images, images, images, images)
    assert model.seen == [1] and model.progress.__name__ == "progress"  # the governor's wrapper
    assert torch.get_num_threads() == was
    fixed = Counting()
    rehearsal.one_epoch(fixed, images, images, images, images, threads=was + 1)
    assert fixed.seen == [was + 1] and torch.get_num_threads() == was
