"""Training runs: best-model saves, history, and a resumed run identical to an uninterrupted one."""
import json

import pytest
import torch

from Miniproject_2.model import Model
from others import standin, threads, training


def fresh_model(seed=0):
    torch.manual_seed(seed)
    return Model()


def test_resumed_run_equals_uninterrupted_run(tiny_data, tmp_path, monkeypatch):
    data = standin.load(tiny_data)
    whole = fresh_model()
    training.run(whole, data, 2, tmp_path / "a.pth", tmp_path / "a.json", tmp_path / "a.pt")

    first = fresh_model()
    calls = []

    def interrupt_second_validation(*args):  # the run dies in epoch 2 of 2: the checkpoint holds epoch 1
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_validation(*args)

    real_validation = training.validation_psnr
    monkeypatch.setattr(training, "validation_psnr", interrupt_second_validation)
    with pytest.raises(KeyboardInterrupt):
        training.run(first, data, 2, tmp_path / "b.pth", tmp_path / "b.json", tmp_path / "b.pt")
    monkeypatch.setattr(training, "validation_psnr", real_validation)
    with pytest.raises(ValueError, match="--epochs 2"):
        training.run(fresh_model(), data, 3, tmp_path / "b.pth", tmp_path / "b.json", tmp_path / "b.pt", resume=True)
    other = fresh_model()
    other.configure(batch_size=other.recipe["batch_size"] + 1)
    with pytest.raises(ValueError, match=f"batch_size={other.recipe['batch_size'] - 1}.*same options"):
        training.run(other, data, 2, tmp_path / "b.pth", tmp_path / "b.json", tmp_path / "b.pt", resume=True)
    torch.manual_seed(99)  # the checkpoint restores the RNG, whatever happened in between
    resumed = fresh_model(seed=7)
    history = training.run(resumed, data, 2, tmp_path / "b.pth", tmp_path / "b.json", tmp_path / "b.pt", resume=True)

    assert [e["epoch"] for e in history["epochs"]] == [1, 2]
    for (p, _), (q, _) in zip(whole.net.param(), resumed.net.param()):
        torch.testing.assert_close(p, q, rtol=0, atol=0)
    saved = json.loads((tmp_path / "b.json").read_text())
    assert saved["epochs"][1]["val_psnr_db"] == pytest.approx(history["epochs"][1]["val_psnr_db"])


def test_model_file_is_written_only_on_improvement(tiny_data, tmp_path, monkeypatch):
    scores = iter([25.0, 24.0, 26.0])
    monkeypatch.setattr(training, "validation_psnr", lambda *args: next(scores))
    history = training.run(fresh_model(), standin.load(tiny_data), 3, tmp_path / "m.pth", tmp_path / "h.json",
                           tmp_path / "c.pt")
    assert [e["saved"] for e in history["epochs"]] == [True, False, True]


def test_resume_without_checkpoint_is_explained(tiny_data, tmp_path):
    with pytest.raises(FileNotFoundError, match="without --resume"):
        training.run(fresh_model(), standin.load(tiny_data), 2, tmp_path / "m.pth", tmp_path / "h.json",
                     tmp_path / "none.pt", resume=True)


def test_install_keeps_the_replaced_file_beside_the_new_one(tmp_path):
    new, target = tmp_path / "new.pth", tmp_path / "sub" / "bestmodel.pth"
    new.write_bytes(b"new model")
    assert training.install(new, target) is None and target.read_bytes() == b"new model"  # nothing to keep
    newer = tmp_path / "newer.pth"
    newer.write_bytes(b"newer model")
    kept = training.install(newer, target)
    assert kept == target.with_name("bestmodel.pth.previous") and kept.read_bytes() == b"new model"
    assert target.read_bytes() == b"newer model"


def test_a_governor_sees_every_batch_and_each_epoch_records_its_choice(tiny_data, tmp_path):
    counts = []
    governor = threads.Governor(2, start=1, set_threads=counts.append, window=0.0, explore_every=1)
    history = training.run(fresh_model(), standin.load(tiny_data), 2, tmp_path / "m.pth", tmp_path / "h.json",
                           tmp_path / "c.pt", governor=governor)
    assert len(governor.history) > 10 and set(counts) == {1, 2}  # a window per batch, both counts tried
    assert all(e["threads"] in (1, 2) for e in history["epochs"])
    assert history["epochs"][-1]["threads"] == governor.chosen
