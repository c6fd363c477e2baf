"""Model: the course's interface, on the stand-in data, any image size, any device the machine has."""
import subprocess
import sys

import pytest
import torch

import Miniproject_2.model as model_module
from conftest import ROOT
from Miniproject_2.model import Model
from Miniproject_2.others.serialization import ModelFileError
from others import standin
from others.metrics import psnr


@pytest.fixture
def model():
    torch.manual_seed(0)
    m = Model()
    m.progress = lambda *args: None
    return m


def test_device_is_cuda_when_available_else_cpu(model):
    assert model.device == ("cuda" if torch.cuda.is_available() else "cpu")
    assert all(p.device.type == model.device for p, _ in model.net.param())


@pytest.mark.parametrize("shape", [(1, 3, 512, 512), (2, 3, 32, 32), (1, 3, 1, 1), (3, 3, 7, 9), (1, 3, 33, 17)])
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32, torch.float64])
def test_predict_keeps_shape_and_range(model, shape, dtype):
    x = torch.randint(0, 256, shape).to(dtype)
    before = x.clone()
    out = model.predict(x)
    assert out.shape == shape and out.is_floating_point()
    assert out.min() >= 0 and out.max() <= 255 and out.max() > 1
    assert torch.equal(x, before)  # the input is not modified


def test_predict_is_independent_of_chunking(model, monkeypatch):
    x = torch.randint(0, 256, (10, 3, 20, 12), dtype=torch.uint8)
    whole = model.predict(x)
    monkeypatch.setattr(model_module, "PREDICT_PIXELS", 3 * 20 * 12 * 3)  # three images a chunk
    torch.testing.assert_close(model.predict(x), whole)
    torch.testing.assert_close(model.predict(x[4:5]), whole[4:5])


def test_predict_of_no_images_is_empty(model):
    out = model.predict(torch.zeros(0, 3, 32, 32, dtype=torch.uint8))
    assert out.shape == (0, 3, 32, 32)


def test_predict_works_with_grad_disabled(model):
    with torch.no_grad():
        assert model.predict(torch.rand(1, 3, 8, 8) * 255).shape == (1, 3, 8, 8)


@pytest.mark.parametrize("x, words", [(torch.zeros(3, 32, 32), r"\(N, 3, H, W\)"),
                                      (torch.zeros(1, 1, 32, 32), r"\(N, 3, H, W\)"),
                                      ([[0]], "tensor")])
def test_predict_rejects_bad_input(model, x, words):
    with pytest.raises((ValueError, TypeError), match=words):
        model.predict(x)


def test_training_raises_validation_psnr(model, tiny_data):
    train_input, train_target, val_input, val_target = standin.load(tiny_data)
    score = lambda: psnr(model.predict(val_input) / 255, val_target / 255)
    before = score()
    model.train(train_input, train_target, 2)
    assert score() > before + 1.0  # from an untrained network, two short epochs gain well over 1 dB


def test_train_rejects_bad_arguments(model):
    x = torch.zeros(4, 3, 8, 8, dtype=torch.uint8)
    with pytest.raises(ValueError, match="same shape"):
        model.train(x, torch.zeros(5, 3, 8, 8, dtype=torch.uint8), 1)
    with pytest.raises(ValueError, match="num_epochs"):
        model.train(x, x, -1)
    with pytest.raises(TypeError, match="num_epochs"):
        model.train(x, x, 1.5)
    model.train(x, x, 0)  # no-op


def test_save_and_load_round_trip(model, tmp_path):
    model.save(tmp_path / "m.pth")
    other = Model()
    other.load_pretrained_model(tmp_path / "m.pth")
    x = torch.randint(0, 256, (2, 3, 16, 16), dtype=torch.uint8)
    assert torch.equal(other.predict(x), model.predict(x))
    assert other.optimizer.lr == other.recipe["finetune_lr"]


def test_file_whose_tensors_do_not_match_its_architecture_is_refused(model, tmp_path):
    model.architecture = {"name": "course", "width": 8}  # the file claims another width than its tensors have
    model.save(tmp_path / "m.pth")
    with pytest.raises(ValueError, match="0.weight"):
        Model().load_pretrained_model(tmp_path / "m.pth")


def test_shipped_bestmodel_beats_the_noisy_input(tiny_data):
    m = Model()
    m.load_pretrained_model()
    noisy, clean = torch.load(tiny_data / "val_data.pkl")
    assert psnr(m.predict(noisy) / 255, clean / 255) > psnr(noisy / 255, clean / 255) + 1.0


def test_blocks_import_from_model_with_the_folder_on_sys_path(tmp_path):
    code = ("import sys; sys.path.insert(0, sys.argv[1]); "
            "from model import Model, Conv2d, TransposeConv2d, NearestUpsampling, Upsampling, ReLU, LeakyReLU, "
            "Sigmoid, Sequential, MSE, SGD, Adam, Module; m = Model(); m.load_pretrained_model(); print('ok')")
    done = subprocess.run([sys.executable, "-c", code, str(ROOT / "Miniproject_2")], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
