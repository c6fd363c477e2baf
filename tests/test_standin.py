"""Stand-in data: the course's file format, determinism, calibration and disjoint photos."""
import json

import pytest
import torch

from others import standin
from others.metrics import psnr_uint8


def test_files_have_the_course_format(tiny_data):
    train = torch.load(tiny_data / "train_data.pkl")
    val = torch.load(tiny_data / "val_data.pkl")
    assert isinstance(train, tuple) and isinstance(val, tuple) and len(train) == len(val) == 2
    for t in train:
        assert t.dtype == torch.uint8 and t.shape == (300, 3, 32, 32)
    for t in val:
        assert t.dtype == torch.uint8 and t.shape == (100, 3, 32, 32)
    assert not torch.equal(train[0], train[1])  # two independent noisy copies


def test_validation_noise_is_calibrated_to_the_course(tiny_data):
    noisy, clean = torch.load(tiny_data / "val_data.pkl")
    measured = psnr_uint8(noisy, clean)
    assert abs(measured - standin.COURSE_NOISY_PSNR) < 0.15, measured
    record = json.loads((tiny_data / "standin.json").read_text())
    assert record["val_noisy_psnr_db"] == pytest.approx(measured)
    assert set(record["train_photos"]).isdisjoint(record["val_photos"])
    assert all(record["train_photos"].values()) and all(record["val_photos"].values())  # provenance recorded
    assert record["set"] == "grading" and record["train_sigma"] is None


def test_generation_is_deterministic_and_seed_dependent(tmp_path):
    a = standin.make(tmp_path / "a", train_size=20, val_size=10, seed=5)
    standin.make(tmp_path / "b", train_size=20, val_size=10, seed=5)
    standin.make(tmp_path / "c", train_size=20, val_size=10, seed=6)
    load = lambda name: torch.load(tmp_path / name / "train_data.pkl")[0]
    assert torch.equal(load("a"), load("b")) and not torch.equal(load("a"), load("c"))
    assert a["level"] > 0


def test_poisson_noise_is_calibrated_too(tmp_path):
    record = standin.make(tmp_path, train_size=10, val_size=100, seed=0, noise="poisson")
    assert abs(record["val_noisy_psnr_db"] - standin.COURSE_NOISY_PSNR) < 0.15


def test_no_photo_is_in_two_groups_and_every_photo_has_a_licence():
    groups = list(standin.GROUPS.values())
    names = [n for group in groups for n in group]
    assert len(names) == len(set(names)) and set(names) <= set(standin.PHOTOS)
    assert all(standin.PHOTOS[n].licence for n in names)
    for name in ("astronaut", "rocket", "hubble_deep_field", "retina", "ihc", "chelsea", "coffee"):
        assert name not in standin.GROUPS["grade-train"] + standin.GROUPS["grade-val"]  # what the shipped model saw
    assert not any(standin.PHOTOS[n].gray for n in standin.GROUPS["grade-train"] + standin.GROUPS["grade-val"])
    for name in names:
        assert standin.load_photo(name).shape[0] == 3


def test_grayscale_crops_share_one_noise_field_and_the_develop_noise_is_blind(tmp_path):
    record = standin.make(tmp_path, train_size=400, val_size=20, seed=3, which="develop")
    assert record["set"] == "develop" and record["train_sigma"] == list(standin.BLIND_SIGMA)
    assert set(record["train_photos"]) == set(standin.GROUPS["train"])
    first, second = torch.load(tmp_path / "train_data.pkl")
    equal = (first == first[:, :1]).flatten(1).all(1)  # grey crops with one noise field in all channels
    assert 0.1 < equal.float().mean().item() < 0.3  # GRAY_SHARE of the crops
    assert torch.equal(second[equal], second[equal][:, :1].expand(-1, 3, -1, -1))
    # sigma per image from 5 to 50: half the difference of the two noisy copies has that standard deviation
    spread = ((first.double() - second.double()) / 2 ** 0.5).flatten(1).std(1)
    assert spread.min() < 12 and spread.max() > 35


def test_made_in_chunks_the_same_as_at_once(tmp_path, monkeypatch):
    standin.make(tmp_path / "a", train_size=30, val_size=10, seed=4)
    monkeypatch.setattr(standin, "CHUNK", 7)
    standin.make(tmp_path / "b", train_size=30, val_size=10, seed=4)
    for name in ("train_data.pkl", "val_data.pkl"):
        for x, y in zip(torch.load(tmp_path / "a" / name), torch.load(tmp_path / "b" / name)):
            assert torch.equal(x, y)


def test_dihedral_transforms_are_the_eight_symmetries():
    x = torch.arange(2 * 3 * 4 * 4.0).view(2, 3, 4, 4).repeat(8, 1, 1, 1)
    out = standin.dihedral(x, torch.arange(8).repeat_interleave(2))
    distinct = {tuple(out[i].flatten().tolist()) for i in range(0, 16, 2)}
    assert len(distinct) == 8


def test_bad_arguments_and_missing_files_are_explained(tmp_path):
    with pytest.raises(ValueError, match="noise"):
        standin.make(tmp_path, noise="salt")
    with pytest.raises(ValueError, match="train_size"):
        standin.make(tmp_path, train_size=0)
    with pytest.raises(ValueError, match="which"):
        standin.make(tmp_path, which="test")
    with pytest.raises(ValueError, match="train_sigma"):
        standin.make(tmp_path, train_sigma=(50, 5))
    with pytest.raises(FileNotFoundError, match="make-data"):
        standin.load(tmp_path / "nothing")
