"""Atomic writes and the clean-up of what a killed writer leaves."""
import pytest
import torch

from others import files


def test_save_atomic_replaces_and_leaves_no_temporary(tmp_path):
    files.save_atomic({"x": torch.ones(2)}, tmp_path / "a.pt")
    files.save_atomic({"x": torch.zeros(2)}, tmp_path / "a.pt")
    assert torch.equal(torch.load(tmp_path / "a.pt")["x"], torch.zeros(2))
    assert [p.name for p in tmp_path.iterdir()] == ["a.pt"]


def test_failed_save_keeps_the_old_file(tmp_path):
    files.save_atomic({"x": torch.ones(2)}, tmp_path / "a.pt")
    with pytest.raises(Exception):
        files.save_atomic({"x": lambda: None}, tmp_path / "a.pt")  # a lambda cannot be pickled
    assert torch.equal(torch.load(tmp_path / "a.pt")["x"], torch.ones(2))
    assert [p.name for p in tmp_path.iterdir()] == ["a.pt"]


def test_stale_temporaries_are_removed(tmp_path):
    (tmp_path / ".m.pth.abc123.tmp").write_bytes(b"half")
    (tmp_path / "m.pth").write_bytes(b"whole")
    (tmp_path / ".other.pth.x.tmp").write_bytes(b"keep")
    files.remove_stale_temporaries(tmp_path / "m.pth")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.pth.x.tmp", "m.pth"]


def test_already_there_names_the_existing_files_in_one_phrase(tmp_path):
    from others.files import already_there
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert already_there([a, b]) is None
    a.write_text("x")
    assert already_there([a, b]) == f"{a} already exists"
    b.write_text("x")
    assert already_there([a, b, c]) == f"{a}, {b} already exist"
