"""The denoiser report: the search table, Figures 5 and 7, epoch timing."""
import json

import pytest
import torch

from Miniproject_2.others.denoiser import networks
from others import denoiser_report as report


def history(tmp_path, name, batch, values, arch=None, **extra):
    record = {"architecture": arch or {"name": "unet", "widths": [4, 8]}, "train_size": 100,
              "recipe": {"lr": 1e-3, "batch_size": batch, "schedule": "cosine", "augment": True},
              "noisy_psnr_db": 20.7, "epochs": [{"epoch": i + 1, "val_psnr_db": v, "seconds": 1.0}
                                                for i, v in enumerate(values)], **extra}
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(record))
    return report.load_history(path)


def test_search_table_gives_best_epoch_parameters_and_time(tmp_path):
    runs = [history(tmp_path, "small", 32, [25.0, 26.5, 26.25]),
            history(tmp_path, "course", 16, [24.0], arch={"name": "course", "width": 4}, **{"from": "x.pth"})]
    seconds = {report.speed_key(runs[0]): 123.4}
    text = report.search_table(runs, seconds)
    widths_4_8 = sum(p.numel() for p, _ in networks.build(runs[0]["architecture"]).param())
    assert f"| small | name=unet, widths=[4, 8] | {widths_4_8:,} |" in text
    assert "| 26.50 (ep. 2) | 123 |" in text
    assert "from x.pth," in text and "| 24.00 (ep. 1) |  |" in text
    assert text.count("cosine") == 2  # a history without planned_epochs (older runs) keeps its recipe's word


def test_search_table_says_no_cosine_for_a_run_from_a_model_file(tmp_path):
    """bin/train --from trains at a constant rate; its history says so with planned_epochs None."""
    run = history(tmp_path, "again", 8, [27.0], **{"from": "bestmodel.pth", "planned_epochs": None})
    text = report.search_table([run], {})
    assert "from bestmodel.pth, batch 8, lr 0.001, flips" in text and "cosine" not in text.splitlines()[-1]


def test_search_table_names_colour_augmentation_and_noise_weighting(tmp_path):
    run = history(tmp_path, "coloured", 8, [27.0])
    assert ", colours" not in report.search_table([run], {})
    run["recipe"]["color_augment"] = True
    assert "lr 0.001, cosine, flips, colours |" in report.search_table([run], {})
    run["recipe"]["noise_weighting"] = 1.0
    assert "flips, colours, weighted 1/sigma^1 |" in report.search_table([run], {})


def test_search_table_marks_runs_validated_with_a_self_ensemble(tmp_path):
    run = history(tmp_path, "ensembled", 8, [27.0, 27.5])
    run["recipe"]["self_ensemble"] = 2
    assert "| 27.50 (ep. 2, x2) |" in report.search_table([run], {})


def test_figures_are_written(tmp_path):
    runs = [history(tmp_path, f"b{b}", b, [20 + b / 10, 21 + b / 10]) for b in (8, 32)]
    report.figure5(runs, tmp_path / "f5.png", "test")
    clean = torch.rand(2, 3, 8, 8) * 255
    report.figure7(clean + 10, {"ours": clean + 1, "twin": clean + 2}, clean, tmp_path / "f7.png")
    for name in ("f5.png", "f7.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def test_epoch_seconds_is_a_positive_scaled_time():
    seconds = report.epoch_seconds({"name": "unet", "widths": [2, 2]}, batch_size=8, images=16, repeats=1)
    assert 0 < seconds < 1e5


def test_best_epoch_needs_epochs(tmp_path):
    with pytest.raises(ValueError, match="empty has no epochs"):
        report.best_epoch(history(tmp_path, "empty", 8, []))


def test_seed_table_gives_differences_and_their_means():
    text = report.seed_table([("seed-0", (29.6, 29.8), (29.5, 29.7)), ("seed-1", (29.5, 29.7), (29.6, 29.75))])
    lines = text.splitlines()
    assert lines[2] == "| seed-0 | 29.600 | 29.500 | +0.100 | 29.800 | 29.700 | +0.100 |"
    assert lines[3] == "| seed-1 | 29.500 | 29.600 | -0.100 | 29.700 | 29.750 | -0.050 |"
    assert lines[4] == "| mean | 29.550 | 29.550 | +0.000 | 29.750 | 29.725 | +0.025 |"
    assert len(report.seed_table([("one", (1.0, 2.0), (1.0, 2.0))]).splitlines()) == 3  # no mean of one row
    with pytest.raises(ValueError, match="at least one row"):
        report.seed_table([])


def test_seed_table_leaves_rows_not_counted_out_of_the_mean():
    rows = [("a", (29.6, 29.8), (29.5, 29.7)), ("b", (29.5, 29.7), (29.6, 29.75), True),
            ("c (updates undone)", (29.0, 29.0), (28.0, 28.0), False)]
    lines = report.seed_table(rows).splitlines()
    assert lines[4] == "| c (updates undone) | 29.000 | 28.000 | +1.000 | 29.000 | 28.000 | +1.000 |"
    assert lines[5] == ("| mean of the rows above without undone updates | 29.550 | 29.550 | +0.000 | 29.750 | 29.725 "
                        "| +0.025 |")


class EnsembleStub:
    """predict is off the target by 10 / self_ensemble grey levels, so each ensemble size has its own PSNR."""

    def __init__(self, target):
        self.recipe, self.target = {"self_ensemble": 4}, target

    def predict(self, x):  # called once: the validation set below is smaller than one batch
        return self.target.double() + 10 / self.recipe["self_ensemble"]


def test_plain_and_predict_psnr_measures_one_symmetry_then_the_models_own():
    target = torch.randint(20, 200, (3, 3, 4, 4), dtype=torch.uint8)
    model = EnsembleStub(target)
    plain, predict = report.plain_and_predict_psnr(model, target, target)
    assert model.recipe["self_ensemble"] == 4
    assert plain == pytest.approx(20 * torch.log10(torch.tensor(255 / 10.0)).item())
    assert predict == pytest.approx(20 * torch.log10(torch.tensor(255 / 2.5)).item())


def test_psnr_with_sets_recipe_entries_for_one_measurement_only():
    target = torch.randint(20, 200, (3, 3, 4, 4), dtype=torch.uint8)
    model = EnsembleStub(target)
    model.recipe["color_augment"] = True
    assert report.psnr_with(model, target, target, self_ensemble=2, color_augment=False) == pytest.approx(
        20 * torch.log10(torch.tensor(255 / 5.0)).item())
    assert model.recipe == {"self_ensemble": 4, "color_augment": True}
    model.predict = lambda x: 1 / 0
    with pytest.raises(ZeroDivisionError):
        report.psnr_with(model, target, target, self_ensemble=8)
    assert model.recipe == {"self_ensemble": 4, "color_augment": True}


def test_rollback_note_counts_the_updates_each_run_undid(tmp_path):
    def history(name, *rollbacks_per_epoch):
        epochs = [{"epoch": i + 1, "rollbacks": [{"loss": 1.0}] * n} for i, n in enumerate(rollbacks_per_epoch)]
        (tmp_path / name).write_text(json.dumps({"epochs": epochs}))

    files = tmp_path / "ours.json", tmp_path / "twin.json"
    assert report.rollback_note(*files) == ""  # no histories
    history("ours.json", 0, 2, 1)
    history("twin.json", 0, 0)
    assert report.rollback_note(*files) == " (updates undone: ours 3, twin 0)"
    history("twin.json", 1)
    assert report.rollback_note(*files) == " (updates undone: ours 3, twin 1)"
    history("ours.json", 0, 0)
    history("twin.json", 0)
    assert report.rollback_note(*files) == ""


def test_paired_interval_gives_the_mean_its_error_and_a_t_interval():
    mean, error, (low, high) = report.paired_interval([0.1, -0.1, 0.3])
    assert mean == pytest.approx(0.1)
    assert error == pytest.approx(0.2 / 3 ** 0.5)  # sample standard deviation 0.2
    assert high - mean == pytest.approx(4.302653 * error, rel=1e-6)  # t quantile, 2 degrees of freedom, 97.5 %
    assert low == pytest.approx(2 * mean - high)
    with pytest.raises(ValueError, match="at least two differences"):
        report.paired_interval([0.1])


def test_difference_lines_use_only_counted_rows():
    rows = [("a", (29.6, 29.8), (29.5, 29.7)), ("b", (29.5, 29.7), (29.4, 29.5)),
            ("c", (20.0, 20.0), (29.0, 29.0), False)]
    plain, predict = report.difference_lines(rows)
    assert plain.startswith("- plain network: ours - twin = +0.100 dB, standard error 0.000")
    assert predict.startswith("- `predict`: ours - twin = +0.150 dB, standard error 0.050")
    assert plain.endswith("(2 pairs).")
    assert report.difference_lines(rows[:1] + rows[2:]) == []
