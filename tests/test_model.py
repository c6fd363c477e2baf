"""Model: the course's interface, on the stand-in data, any image size, any device the machine has."""
import math
import subprocess
import sys

import pytest
import torch
from hypothesis import given, settings, strategies as st

import Miniproject_2.model as model_module
from conftest import ROOT
from Miniproject_2.model import Model
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
    # A chunk's size picks its kernels (the whole batch's merging layers run on the shifted grid, a chunk's on
    # im2col), whose float32 sums round differently: 1.6e-5 seen on the 0-255 scale, far below a wrong image.
    torch.testing.assert_close(model.predict(x), whole, rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(model.predict(x[4:5]), whole[4:5], rtol=1e-5, atol=1e-4)


def test_predict_of_no_images_is_empty(model):
    out = model.predict(torch.zeros(0, 3, 32, 32, dtype=torch.uint8))
    assert out.shape == (0, 3, 32, 32)



def test_train_and_predict_keep_no_scratch_memory(model):
    """The convolutions share one scratch workspace; Model releases it after each call."""
    x = torch.randint(0, 256, (4, 3, 16, 16), dtype=torch.uint8)
    shared = model_module.workspace.SHARED
    model.train(x, x, 1)
    assert shared.buffers == {}
    model.predict(x)
    assert shared.buffers == {}

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
    model.train(train_input, train_target, 4)
    assert score() > before + 1.0  # from an untrained network, four short epochs (40 steps) gain over 1 dB


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
    other = Model()
    x = torch.randint(0, 256, (1, 3, 8, 8), dtype=torch.uint8)
    before = other.predict(x)
    with pytest.raises(ValueError, match="0.weight"):
        other.load_pretrained_model(tmp_path / "m.pth")
    assert torch.equal(other.predict(x), before)  # a failed load leaves the model as it was


def test_shipped_bestmodel_beats_the_noisy_input(tiny_data):
    m = Model()
    m.load_pretrained_model()
    noisy, clean = torch.load(tiny_data / "val_data.pkl")
    assert psnr(m.predict(noisy) / 255, clean / 255) > psnr(noisy / 255, clean / 255) + 1.0


def test_blocks_import_from_model_with_the_folder_on_sys_path(tmp_path):
    code = ("import sys; sys.path.insert(0, sys.argv[1]); "
            "from model import Model, Conv2d, TransposeConv2d, NearestUpsampling, Upsampling, ReLU, LeakyReLU, "
            "Sigmoid, Sequential, Identity, Concat, Add, MSE, SGD, Adam, CosineAnnealingLR, Module; "
            "m = Model(); m.load_pretrained_model(); print('ok')")
    done = subprocess.run([sys.executable, "-c", code, str(ROOT / "Miniproject_2")], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


# -- hardening: unusual and bad input -------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(st.integers(0, 3), st.integers(1, 40), st.integers(1, 40),
       st.sampled_from([torch.uint8, torch.int16, torch.int64, torch.float16, torch.float32, torch.float64]),
       st.sampled_from(["contiguous", "channels_last", "strided"]))
def test_predict_property_any_shape_dtype_and_layout(n, h, w, dtype, layout):
    m = Model()
    base = torch.randint(0, 256, (n, 3, h, 2 * w)).to(dtype)
    x = {"contiguous": base[..., :w].contiguous(), "strided": base[..., ::2],
         "channels_last": base[..., :w].contiguous(memory_format=torch.channels_last)}[layout]
    out = m.predict(x)
    assert out.shape == (n, 3, h, w) and out.dtype == torch.float32
    assert not out.isnan().any() and (n == 0 or (out.min() >= 0 and out.max() <= 255))
    torch.testing.assert_close(out, m.predict(x.contiguous().float()))


def test_predict_at_the_size_extremes(model):
    for shape in [(1, 3, 1, 1), (1, 3, 513, 511), (2, 3, 2, 513)]:
        assert model.predict(torch.randint(0, 256, shape, dtype=torch.uint8)).shape == shape


def test_predict_clamps_values_outside_the_range(model):
    x = torch.rand(2, 3, 8, 8) * 255
    wild = x.clone()
    wild[0, 0, 0, 0], wild[1, 2, 3, 3] = -500.0, 1e6
    clamped = wild.clamp(0, 255)
    torch.testing.assert_close(model.predict(wild), model.predict(clamped))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_predict_refuses_nan_and_inf(model, bad):
    x = torch.rand(1, 3, 8, 8) * 255
    x[0, 1, 2, 3] = bad
    with pytest.raises(ValueError, match="NaN or infinite"):
        model.predict(x)


@pytest.mark.parametrize("x, error, words", [
    (torch.zeros(1, 3, 4, 4, dtype=torch.bool), TypeError, "real numbers"),
    (torch.zeros(1, 3, 4, 4, dtype=torch.complex64), TypeError, "real numbers"),
    (torch.zeros(32, 32), ValueError, r"\(N, 3, H, W\)"),
    (torch.zeros(1, 1, 3, 32, 32), ValueError, r"\(N, 3, H, W\)"),
    (torch.zeros(1, 4, 32, 32), ValueError, "3 colour channels"),
    (torch.zeros(1, 3, 0, 5), ValueError, "at least 1x1"),
])
def test_predict_rejects_wrong_kinds_and_shapes(model, x, error, words):
    with pytest.raises(error, match=words):
        model.predict(x)


def test_train_on_fewer_images_than_a_batch_and_odd_sizes(model):
    x = torch.randint(0, 256, (5, 3, 13, 10), dtype=torch.uint8)
    before = [p.clone() for p, _ in model.net.param()]
    model.train(x, x.flip(0), 1)
    assert any(not torch.equal(a, p) for a, (p, _) in zip(before, model.net.param()))


def test_train_rejects_mismatched_dtypes(model):
    x = torch.zeros(4, 3, 8, 8, dtype=torch.uint8)
    with pytest.raises(ValueError, match="same shape and dtype"):
        model.train(x, x.float(), 1)


def test_train_refuses_nan_targets(model):
    x = torch.rand(4, 3, 8, 8) * 255
    y = x.clone()
    y[0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="train_target contains NaN"):
        model.train(x, y, 1)


def test_nan_loss_stops_training_and_puts_back_the_older_snapshot(model, monkeypatch):
    """Poison the weights after the third update: the fourth loss is NaN. With a snapshot before every update,
    the older of the last two (before the second update, i.e. after the first) comes back."""
    monkeypatch.setattr(model_module, "SNAPSHOT_EVERY", 1)
    model.configure()
    x = torch.randint(0, 256, (8 * 32, 3, 8, 8), dtype=torch.uint8)
    snapshots, real_step = [], model.optimizer.step

    def step():
        real_step()
        snapshots.append([p.clone() for p, _ in model.net.param()])
        if len(snapshots) == 3:
            model.net.param()[0][0].fill_(float("nan"))

    monkeypatch.setattr(model.optimizer, "step", step)
    with pytest.raises(FloatingPointError, match="from a snapshot at most 2 updates earlier"):
        model.train(x, x, 1)
    assert len(snapshots) == 3
    for kept, (p, _) in zip(snapshots[0], model.net.param()):
        torch.testing.assert_close(p, kept, rtol=0, atol=0)
    assert adam_steps(model.optimizer) == 1 and model.schedule.optimizer is model.optimizer  # state put back
    model.train(x[:64], x[:64], 1)  # training can go on afterwards
    assert all(p.isfinite().all() for p, _ in model.net.param())


def throw_off_after_eighth_update(model, monkeypatch):
    """Make the tail's bias jump by 5 (every output pixel off by 5) right after the eighth update; return the
    list that receives the weights before each update."""
    before_update, real_step = [], model.optimizer.step

    def step():
        before_update.append([p.clone() for p, _ in model.net.param()])
        real_step()
        if len(before_update) == 8:
            model.net.param()[-1][0].add_(5)

    monkeypatch.setattr(model.optimizer, "step", step)
    return before_update


def adam_steps(optimizer):
    """The step count in the first parameter's Adam state (ours, or torch.optim's through ``TorchOptimizer``)."""
    return int(optimizer.state_dict()["state"][0]["step"])


@pytest.mark.parametrize("twin", [False, True])
def test_a_loss_spike_goes_back_to_the_older_snapshot_halves_the_rate_and_training_goes_on(twin, monkeypatch):
    """The ninth batch's loss is hundreds of times the running mean. With a snapshot before every third update
    (before updates 1, 4 and 7), the older of the last two comes back: the weights and Adam state from before
    the fourth update. The rate halves, the batch is skipped, and the later steps are ordinary. The PyTorch
    twin's runs (``TwinModel``) share the loop, hence the guard."""
    from others.twin import TwinModel
    monkeypatch.setattr(model_module, "SPIKE_AFTER", 5)
    monkeypatch.setattr(model_module, "SNAPSHOT_EVERY", 3)
    torch.manual_seed(0)
    model = TwinModel() if twin else Model()
    model.progress = lambda *args: None
    x = torch.randint(0, 256, (8 * 16, 3, 8, 8), dtype=torch.uint8)
    model.plan(2, x.shape[0])  # a schedule over two epochs, so that it is still there after one
    before_update = throw_off_after_eighth_update(model, monkeypatch)
    after_rollback, real_roll_back = [], model._roll_back

    def roll_back(loss):
        real_roll_back(loss)
        after_rollback.append(([p.clone() for p, _ in model.net.param()], adam_steps(model.optimizer)))

    monkeypatch.setattr(model, "_roll_back", roll_back)
    model.train(x, x, 1)
    assert len(model.rollbacks) == len(after_rollback) == 1
    event = model.rollbacks[0]
    assert event["loss"] > 100 * event["mean"] and event["loss"] > 20
    restored, steps = after_rollback[0]
    for weights, kept in zip(restored, before_update[3]):
        torch.testing.assert_close(weights, kept, rtol=0, atol=0)
    assert steps == 3 and adam_steps(model.optimizer) == 3 + 7  # seven updates after the skipped ninth batch
    assert len(before_update) == 15  # 16 batches, one skipped
    assert model.schedule.base_lr == pytest.approx(model.recipe["lr"] / 2)
    # the rate at the ninth step of 32, from the halved base
    assert event["lr"] == pytest.approx(model.recipe["lr"] / 2 * (1 + math.cos(math.pi * 8 / 32)) / 2)


def test_spike_guard_zero_lets_every_update_stand(model, monkeypatch):
    monkeypatch.setattr(model_module, "SPIKE_AFTER", 5)
    model.recipe["spike_guard"] = 0
    x = torch.randint(0, 256, (8 * 16, 3, 8, 8), dtype=torch.uint8)
    before_update = throw_off_after_eighth_update(model, monkeypatch)
    model.train(x, x, 1)
    assert model.rollbacks == [] and len(before_update) == 16


def test_ordinary_training_undoes_nothing(model, monkeypatch):
    monkeypatch.setattr(model_module, "SPIKE_AFTER", 5)
    x = torch.randint(0, 256, (8 * 32, 3, 16, 16), dtype=torch.uint8)
    y = (x.float() + torch.randn(x.shape) * 20).clamp(0, 255).to(torch.uint8)
    model.train(x, y, 1)
    assert model.rollbacks == [] and model._losses.seen == 32


def test_each_train_call_runs_one_whole_cosine_schedule(model):
    x = torch.randint(0, 256, (3 * model.recipe["batch_size"], 3, 8, 8), dtype=torch.uint8)  # 3 steps an epoch
    rates, real_step = [], model._step
    model._step = lambda *args: (rates.append(model.optimizer.lr), real_step(*args))[1]
    model.train(x, x, 2)
    model.train(x, x, 1)
    lr = model.recipe["lr"]
    assert rates[:6] == pytest.approx([lr * (1 + math.cos(math.pi * t / 6)) / 2 for t in range(6)])
    assert rates[6:] == pytest.approx([lr * (1 + math.cos(math.pi * t / 3)) / 2 for t in range(3)])
    assert model.schedule is None and model.optimizer.lr == pytest.approx(0, abs=1e-15)


def test_plan_spreads_the_schedule_over_several_train_calls(model):
    x = torch.randint(0, 256, (2 * 32, 3, 8, 8), dtype=torch.uint8)
    model.plan(3, 64)
    for _ in range(3):
        assert model.schedule is not None
        model.train(x, x, 1)
    assert model.schedule is None and model.optimizer.lr == pytest.approx(0, abs=1e-15)


@pytest.mark.parametrize("color_augment", [False, True])
def test_color_augment_transforms_input_and_target_alike(model, monkeypatch, color_augment):
    model.configure(color_augment=color_augment, augment=False, batch_size=1)
    seen = []
    monkeypatch.setattr(model, "_step", lambda x, y: (seen.append((x, y)), 0.0)[1])
    levels = torch.tensor([10.0, 100.0, 200.0]).view(1, 3, 1, 1)  # one constant per channel shows its transform
    images = levels.expand(40, 3, 4, 4).contiguous()
    model.train(images, images + 1, 1)
    transforms = set()
    for x, y in seen:
        transform = tuple((x[0, :, 0, 0] * 255).round().int().tolist())
        inverted = sorted(transform) == [55, 155, 245]
        torch.testing.assert_close(y - x, torch.full_like(x, -1 / 255 if inverted else 1 / 255))
        transforms.add(transform)
    if color_augment:  # the channel orders of (10, 100, 200) and of their negatives (245, 155, 55)
        assert len(transforms) > 6 and all(sorted(t) in ([10, 100, 200], [55, 155, 245]) for t in transforms)
    else:
        assert transforms == {(10, 100, 200)}


def test_configure_builds_a_fresh_network_and_rejects_unknown_recipe_entries(model):
    model.configure({"name": "unet", "widths": [4, 6]}, lr=5e-4, batch_size=8)
    assert model.architecture == {"name": "unet", "widths": [4, 6]} and model.optimizer.lr == 5e-4
    assert model.predict(torch.rand(2, 3, 5, 7) * 255).shape == (2, 3, 5, 7)  # padded to a multiple of 2
    with pytest.raises(ValueError, match="unknown recipe entries \\['momentum'\\]"):
        model.configure(momentum=0.9)


def test_load_refuses_unknown_architecture(model, tmp_path):
    model.architecture = {"name": "transformer"}
    model.save(tmp_path / "m.pth")
    with pytest.raises(ValueError, match="architecture"):
        Model().load_pretrained_model(tmp_path / "m.pth")


def test_fine_tuning_a_loaded_model_ends_at_the_mean_of_its_weights(tmp_path):
    """After load_pretrained_model, train() returns the running mean of the loaded and every step's weights."""
    x = torch.randint(0, 256, (5, 3, 8, 8), dtype=torch.uint8)  # one batch: the shuffle cannot differ
    averaged, plain = Model(), Model()
    for m in (averaged, plain):
        m.progress = lambda *args: None
        m.load_pretrained_model()
        m.recipe.update(augment=False, color_augment=False, schedule=None)  # the same step; only the mean differs
    plain._average = False
    start = [p.clone() for p, _ in plain.net.param()]
    averaged.train(x, x.flip(0), 1)
    plain.train(x, x.flip(0), 1)
    assert any(not torch.equal(a, p) for a, (p, _) in zip(start, plain.net.param()))
    for w0, (w1, _), (mean, _) in zip(start, plain.net.param(), averaged.net.param()):
        torch.testing.assert_close(mean, (w0 + w1) / 2, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("h, w", [(12, 12), (9, 14)])
def test_predict_averages_the_network_over_the_symmetries(model, h, w):
    from Miniproject_2.others.denoiser.augment import dihedral, undo_dihedral
    model.configure({"name": "unet", "widths": [4, 6]}, color_augment=False)
    x = torch.rand(3, 3, h, w) * 255
    model.recipe["self_ensemble"] = 1
    plain = model.predict(x)
    model.net.eval()
    symmetries = range(8) if h == w else range(4)
    unit = x.clamp(0, 255) / 255
    manual = [undo_dihedral(model.net.forward(model._pad(dihedral(unit, k)))[:, :, :dihedral(unit, k).shape[2],
                                                                          :dihedral(unit, k).shape[3]], k)
              for k in symmetries]
    model.net.train()
    torch.testing.assert_close(plain, (manual[0] * 255).clamp(0, 255), rtol=0, atol=1e-4)
    model.recipe["self_ensemble"] = 8
    torch.testing.assert_close(model.predict(x), (sum(manual) / len(manual) * 255).clamp(0, 255), rtol=0, atol=1e-3)
    assert (model.predict(x) - plain).abs().max() > 1e-3  # the ensemble is not the plain output


def test_predict_with_color_augment_averages_each_symmetry_and_its_negative(model):
    from Miniproject_2.others.denoiser.augment import dihedral, undo_dihedral
    model.configure({"name": "unet", "widths": [4, 6]}, color_augment=True, self_ensemble=4)
    x = torch.rand(3, 3, 12, 12) * 255
    unit = x / 255
    model.net.eval()
    outputs = [model.net.forward(dihedral(unit, k)) for k in (0, 1)]
    negatives = [1 - model.net.forward(1 - dihedral(unit, k)) for k in (0, 1)]
    manual = sum(undo_dihedral(a, k) + undo_dihedral(b, k) for k, a, b in zip((0, 1), outputs, negatives)) / 4
    model.net.train()
    torch.testing.assert_close(model.predict(x), (manual * 255).clamp(0, 255), rtol=0, atol=1e-3)
    model.recipe["color_augment"] = False
    assert (model.predict(x) - (manual * 255).clamp(0, 255)).abs().max() > 1e-3  # four symmetries, no negatives


@pytest.mark.parametrize("color_augment", [False, True])
def test_a_loaded_model_takes_color_augment_from_its_file(model, tmp_path, color_augment):
    model.configure({"name": "unet", "widths": [4, 6]}, color_augment=color_augment)
    model.save(tmp_path / "m.pth")
    loaded = Model()
    loaded.recipe["color_augment"] = not color_augment
    loaded.load_pretrained_model(tmp_path / "m.pth")
    assert loaded.recipe["color_augment"] is color_augment


@pytest.mark.parametrize("meta", [{"epoch": 3}, None, {"recipe": "odd"}, {"recipe": {"color_augment": "yes"}}])
def test_a_model_file_without_a_recipe_of_colours_loads_without_color_augment(model, tmp_path, meta):
    from Miniproject_2.others.denoiser import serialization
    serialization.save(tmp_path / "old.pth", model.architecture, model.net.state_dict(), meta)
    model.recipe.update(color_augment=True, noise_weighting=2.0)
    model.load_pretrained_model(tmp_path / "old.pth")
    assert model.recipe["color_augment"] is False and model.recipe["noise_weighting"] == 0.0


@pytest.mark.parametrize("power", [0.0, 2.0])
def test_noise_weighting_descends_the_weighted_mean_of_each_images_error(model, monkeypatch, power):
    """The gradients of one step are autograd's of mean_n w_n mse_n, w_n = (25/255 / sigma_hat_n) ** power."""
    from Miniproject_2.others.denoiser.weighting import noise_weights
    from others.twin import twin_of
    model.configure({"name": "unet", "widths": [4, 6]}, augment=False, color_augment=False, batch_size=4,
                    noise_weighting=power)
    g = torch.Generator().manual_seed(3)
    clean = torch.rand(4, 3, 16, 16, generator=g) * 200 + 20
    level = torch.tensor([3.0, 10.0, 25.0, 50.0]).view(-1, 1, 1, 1)
    x, y = ((clean + level * torch.randn(clean.shape, generator=g)).clamp(0, 255) for _ in range(2))
    twin = twin_of(model.net, model.architecture)
    captured = []
    monkeypatch.setattr(model.optimizer, "step", lambda: captured.append([gr.clone() for _, gr in model.net.param()]))
    model.train(x, y, 1)
    with torch.enable_grad():
        errors = (twin(x / 255) - y / 255).pow(2).flatten(1).mean(1)
        weights = noise_weights(x / 255, y / 255, power).flatten()
        (weights * errors).mean().backward()
    assert len(captured) == 1
    for (name, p), grad in zip(twin.named_parameters(), captured[0]):
        torch.testing.assert_close(grad, p.grad, rtol=1e-4, atol=1e-6, msg=name)
    assert power == 0 or weights.max() / weights.min() > 50  # the levels are weighted differently


@pytest.mark.parametrize("power", [0.0, 1.5])
def test_a_loaded_model_takes_noise_weighting_from_its_file(model, tmp_path, power):
    model.configure({"name": "unet", "widths": [4, 6]}, noise_weighting=power)
    model.save(tmp_path / "m.pth")
    loaded = Model()
    loaded.recipe["noise_weighting"] = 3.0
    loaded.load_pretrained_model(tmp_path / "m.pth")
    assert loaded.recipe["noise_weighting"] == power


def test_a_model_file_without_noise_weighting_loads_with_none(model, tmp_path):
    from Miniproject_2.others.denoiser import serialization
    serialization.save(tmp_path / "old.pth", model.architecture, model.net.state_dict(), {"recipe": {"lr": 1e-3}})
    model.recipe["noise_weighting"] = 2.0
    model.load_pretrained_model(tmp_path / "old.pth")
    assert model.recipe["noise_weighting"] == 0.0
