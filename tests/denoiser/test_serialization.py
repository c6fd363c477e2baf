"""Model files: plain data, atomic writes, and an unpickler that runs nothing."""
import pickle

import pytest
import torch

from Miniproject_2.others.denoiser import serialization
from Miniproject_2.others.denoiser.networks import course_network


def test_round_trip_is_exact_for_float32_and_float64(tmp_path):
    state = {"a.weight": torch.randn(3, 4, 2, 2), "b": torch.randn(5, dtype=torch.float64)}
    serialization.save(tmp_path / "m.pth", {"name": "course", "width": 4}, state, meta={"note": "x"})
    architecture, tensors, meta = serialization.load(tmp_path / "m.pth")
    assert architecture == {"name": "course", "width": 4} and meta == {"note": "x"}
    for name, tensor in state.items():
        shape, values = tensors[name]
        assert torch.equal(torch.tensor(values, dtype=tensor.dtype).view(shape), tensor)


def test_file_holds_only_plain_data(tmp_path):
    serialization.save(tmp_path / "m.pth", {"name": "course"}, course_network(4).state_dict())
    raw = (tmp_path / "m.pth").read_bytes()
    classes = [op for op, _, _ in __import__("pickletools").genops(raw) if op.name in ("GLOBAL", "STACK_GLOBAL")]
    assert classes == []


def test_hostile_pickle_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    (tmp_path / "evil.pth").write_bytes(pickle.dumps({"format": 1, "tensors": Exploit()}))
    with pytest.raises(serialization.ModelFileError, match="refusing"):
        serialization.load(tmp_path / "evil.pth")
    assert not marker.exists()


@pytest.mark.parametrize("content, words", [(b"", "not a readable model file"),
                                            (b"garbage\x00\x01", "not a readable model file"),
                                            (pickle.dumps([1, 2]), "not a model file"),
                                            (pickle.dumps({"format": 1, "tensors": {"w": {"dtype": "torch.float32",
                                              "shape": [4], "byteorder": "little", "data": b"\x00" * 8}}}),
                                             "holds 2 values")])
def test_corrupt_files_are_explained(tmp_path, content, words):
    (tmp_path / "bad.pth").write_bytes(content)
    with pytest.raises(serialization.ModelFileError, match=words):
        serialization.load(tmp_path / "bad.pth")


def test_truncated_file_is_explained(tmp_path):
    serialization.save(tmp_path / "m.pth", {"name": "course"}, course_network(4).state_dict())
    data = (tmp_path / "m.pth").read_bytes()
    (tmp_path / "m.pth").write_bytes(data[:len(data) // 2])
    with pytest.raises(serialization.ModelFileError, match="not a readable model file"):
        serialization.load(tmp_path / "m.pth")


def test_missing_file_says_where_and_how(tmp_path):
    with pytest.raises(FileNotFoundError, match="bin/train"):
        serialization.load(tmp_path / "nothing.pth")


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "m.pth"
    target.write_bytes(b"old")

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(serialization.os, "fsync", explode)
    with pytest.raises(OSError, match="disk full"):
        serialization.write_atomic(target, b"new contents")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["m.pth"]  # no temporary left behind
