"""The user-facing scripts: --help, plain-language errors, and real runs on small data."""
import json
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch

from conftest import ROOT

SCRIPTS = ["train", "make-data", "package", "denoise", "report-denoiser", "report-sigma", "rehearse", "benchmark"]


def run(script, *args):
    return subprocess.run([sys.executable, str(ROOT / "bin" / script), *args], capture_output=True, text=True,
                          timeout=600)


@pytest.mark.parametrize("script", SCRIPTS)
def test_help(script):
    done = run(script, "--help")
    assert done.returncode == 0 and "usage:" in done.stdout


def test_make_data_writes_the_course_format(tmp_path):
    done = run("make-data", "--out", str(tmp_path), "--train-size", "40", "--val-size", "20", "--seed", "2")
    assert done.returncode == 0, done.stderr
    reported = float(re.search(r"noisy-vs-clean PSNR ([\d.]+) dB", done.stdout).group(1))
    assert abs(reported - 20.72) < 0.3  # calibrated on 20 images only, hence the margin
    assert torch.load(tmp_path / "train_data.pkl")[0].shape == (40, 3, 32, 32)


def test_make_data_rejects_bad_sizes(tmp_path):
    done = run("make-data", "--out", str(tmp_path), "--train-size", "0")
    assert done.returncode == 2 and "--train-size must be at least 1" in done.stderr


def test_train_writes_model_and_history_into_its_run_folder(tiny_data, tmp_path):
    folder = tmp_path / "run"
    done = run("train", "--epochs", "2", "--data", str(tiny_data), "--run-dir", str(folder))
    assert done.returncode == 0, done.stderr
    record = json.loads((folder / "train_history.json").read_text())
    assert [e["epoch"] for e in record["epochs"]] == [1, 2]
    assert record["epochs"][0]["saved"] and (folder / "bestmodel.pth").is_file() and (folder / "checkpoint.pt").is_file()
    assert "best validation PSNR" in done.stdout and str(folder / "bestmodel.pth") in done.stdout


def test_train_explains_missing_data(tmp_path):
    done = run("train", "--epochs", "1", "--data", str(tmp_path), "--run-dir", str(tmp_path / "run"))
    assert done.returncode != 0 and "make-data" in done.stderr and "Traceback" not in done.stderr


def test_train_resumes_from_its_checkpoint(tiny_data, tmp_path):
    common = ["--data", str(tiny_data), "--out", str(tmp_path / "m.pth"), "--history", str(tmp_path / "h.json"),
              "--checkpoint", str(tmp_path / "c.pt")]
    assert run("train", "--epochs", "1", *common).returncode == 0
    done = run("train", "--epochs", "2", "--resume", *common)  # its cosine schedule ended with epoch 1
    assert done.returncode == 1 and "resume with --epochs 1" in done.stderr
    # fine-tuning from a model file runs at a constant rate: such a run can be extended
    common += ["--from", str(ROOT / "Miniproject_2" / "bestmodel.pth")]
    refused = run("train", "--epochs", "1", *common)  # a new run over the old run's files
    assert refused.returncode == 2 and "already exist" in refused.stderr and "--force" in refused.stderr
    assert run("train", "--epochs", "1", "--force", *common).returncode == 0
    done = run("train", "--epochs", "2", "--resume", *common)
    assert done.returncode == 0, done.stderr
    assert [e["epoch"] for e in json.loads((tmp_path / "h.json").read_text())["epochs"]] == [1, 2]
    again = run("train", "--epochs", "2", "--resume", *common)
    assert again.returncode == 1 and "raise --epochs" in again.stderr


def test_killed_training_leaves_a_loadable_model(tiny_data, tmp_path):
    """SIGKILL a run while it trains and saves; the previous model file must still load."""
    from Miniproject_2.model import Model
    out, history = tmp_path / "m.pth", tmp_path / "h.json"
    shutil.copy(ROOT / "Miniproject_2" / "bestmodel.pth", out)
    process = subprocess.Popen([sys.executable, str(ROOT / "bin" / "train"), "--epochs", "100", "--data",
                                str(tiny_data), "--out", str(out), "--history", str(history), "--checkpoint",
                                str(tmp_path / "c.pt"), "--force"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not (history.is_file() and len(json.loads(history.read_text()).get("epochs", [])) >= 2):
        assert time.monotonic() < deadline and process.poll() is None, "training did not get going"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    Model().load_pretrained_model(out)  # raises if the file is torn


def test_train_can_start_from_a_model_file_at_a_given_rate(tiny_data, tmp_path):
    done = run("train", "--epochs", "1", "--data", str(tiny_data), "--out", str(tmp_path / "m.pth"), "--history",
               str(tmp_path / "h.json"), "--checkpoint", str(tmp_path / "c.pt"),
               "--from", str(ROOT / "Miniproject_2" / "bestmodel.pth"), "--lr", "2e-5")
    assert done.returncode == 0, done.stderr
    record = json.loads((tmp_path / "h.json").read_text())
    assert record["recipe"]["lr"] == 2e-5
    assert record["epochs"][0]["val_psnr_db"] > record["noisy_psnr_db"] + 3  # it started from the trained model
    bad = run("train", "--epochs", "1", "--data", str(tiny_data), "--from", str(tmp_path / "missing.pth"),
              "--run-dir", str(tmp_path / "bad"))
    assert bad.returncode == 1 and "bin/train" in bad.stderr and "Traceback" not in bad.stderr


def test_denoise_writes_png_and_comparison_and_reports_psnr(tmp_path):
    from PIL import Image
    from skimage import data
    Image.fromarray(data.coffee()[:150, :170]).save(tmp_path / "coffee.jpg")
    done = run("denoise", str(tmp_path / "coffee.jpg"), "--add-noise", "23", "--compare", "--out", str(tmp_path / "o"))
    assert done.returncode == 0, done.stderr
    before, after = map(float, re.search(r"PSNR ([\d.]+) dB noisy -> ([\d.]+) dB", done.stdout).groups())
    assert after > before + 3
    with Image.open(tmp_path / "o" / "coffee-denoised.png") as image:
        assert image.size == (170, 150) and image.mode == "RGB"
    with Image.open(tmp_path / "o" / "coffee-compare.png") as image:
        assert image.size == (3 * 170, 150)


def test_benchmark_rewrites_a_saved_report_with_its_memory_and_no_page_faults_files(tmp_path):
    from test_report import fake_run
    fake_run(tmp_path / "run.json")
    (tmp_path / "run-memory.json").write_text(json.dumps({"scratch": {"step_kib": 2048}, "twin": {"step_kib": 4096}}))
    done = run("benchmark", "--report-only", str(tmp_path / "run.json"))
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "run.md").read_text()
    assert "4 of 4 configurations at 1.5x or more" in text and "| scratch | 2 | 2 |" in text
    assert "no page faults" not in text
    fake_run(tmp_path / "run-no-page-faults.json", twin=1.25)
    assert run("benchmark", "--report-only", str(tmp_path / "run.json")).returncode == 0
    assert "No page faults: Ratio range: 1.25 to 1.25" in (tmp_path / "run.md").read_text()
    assert run("benchmark", "--report-only", str(tmp_path / "missing.json")).returncode != 0


def test_denoise_explains_bad_files(tmp_path):
    (tmp_path / "notes.png").write_text("not an image")
    done = run("denoise", str(tmp_path / "notes.png"))
    assert done.returncode != 0 and "not an image" in done.stderr
    done = run("denoise", str(tmp_path / "missing.png"))
    assert done.returncode != 0 and "no such file" in done.stderr
    done = run("denoise", str(tmp_path / "a.png"), str(tmp_path / "b.png"), "--clean", str(tmp_path / "c.png"))
    assert done.returncode != 0 and "exactly one input" in done.stderr


def test_train_runs_another_architecture_and_the_pytorch_twin_alike(tiny_data, tmp_path):
    records = []
    for extra in ([], ["--twin"]):
        history = tmp_path / f"h{len(records)}.json"
        done = run("train", "--epochs", "1", "--data", str(tiny_data), "--run-dir", str(tmp_path / f"r{len(records)}"),
                   "--history", str(history), "--architecture",
                   '{"name": "unet", "widths": [4, 8]}', "--batch-size", "16", "--train-size", "100",
                   "--threads", "1", "--no-augment", *extra)
        assert done.returncode == 0, done.stderr
        records.append(json.loads(history.read_text()))
    ours, twin = records
    assert ours["architecture"] == {"name": "unet", "widths": [4, 8]} and ours["train_size"] == 100
    assert ours["recipe"]["batch_size"] == 16 and ours["recipe"]["augment"] is False
    assert ours["recipe"]["color_augment"] is True and twin["recipe"]["color_augment"] is True  # the same draws
    assert ours["recipe"]["spike_guard"] == 10 and ours["epochs"][0]["rollbacks"] == []
    assert abs(ours["epochs"][0]["val_psnr_db"] - twin["epochs"][0]["val_psnr_db"]) < 1e-3


@pytest.mark.parametrize("args, words", [(["--architecture", "{bad"], "--architecture"),
                                         (["--architecture", '{"name": "vgg"}'], "architecture must be"),
                                         (["--batch-size", "0"], "--batch-size must be positive"),
                                         (["--lr", "-1"], "--lr must be positive"),
                                         (["--spike-guard", "-1"], "--spike-guard must be 0 (off)"),
                                         (["--noise-weighting", "-1"], "--noise-weighting must be a power")])
def test_train_explains_bad_options(tiny_data, tmp_path, args, words):
    done = run("train", "--epochs", "1", "--data", str(tiny_data), "--run-dir", str(tmp_path), *args)
    assert done.returncode != 0 and words in done.stderr and "Traceback" not in done.stderr


def test_report_sigma_without_bm3d_compares_model_files_on_other_data(tiny_data, tmp_path):
    from Miniproject_2.model import Model
    model = Model()
    model.configure({"name": "unet", "widths": [2, 2]})
    model.save(tmp_path / "small.pth")
    out = tmp_path / "report"
    done = run("report-sigma", "--data", str(tiny_data), "--images", "3", "--sigmas", "10", "30", "--no-bm3d",
               "--model", f"small={tmp_path / 'small.pth'}", "--out", str(out))
    assert done.returncode == 0, done.stderr
    text = (out / "sigma.md").read_text()
    assert "| small | " in text and "| noisy input | " in text and "BM3D" not in text and "3 clean validation" in text
    assert json.loads((out / "sigma.json").read_text())["sigmas"] == [10, 30] and not (out / "BM3D.json").exists()
    refused = run("report-sigma", "--no-bm3d", "--gray", "--out", str(out))
    assert refused.returncode == 2 and "--no-bm3d" in refused.stderr


def test_report_denoiser_compares_ours_and_the_twin_over_seeds(tiny_data, tmp_path):
    from Miniproject_2.model import Model
    arch = {"name": "unet", "widths": [2, 2]}
    files = {}
    for name in ("ours", "twin", "earlier/ours", "earlier/twin", "earlier/seeds/seed-1/ours",
                 "earlier/seeds/seed-1/twin", "older/ours", "older/twin"):
        torch.manual_seed(len(files))
        model = Model()
        model.configure(arch)
        files[name] = tmp_path / (name.replace("ours", "bestmodel").replace("twin", "bestmodel-twin") + ".pth")
        files[name].parent.mkdir(parents=True, exist_ok=True)
        model.save(files[name])
    history = {"architecture": arch, "train_size": 300, "noisy_psnr_db": 20.7,
               "recipe": {"lr": 1e-3, "batch_size": 8, "self_ensemble": 2},
               "epochs": [{"epoch": 1, "val_psnr_db": 21.0}, {"epoch": 2, "val_psnr_db": 21.5}]}
    (tmp_path / "search").mkdir()
    short_runs = tmp_path / "summary.md"
    short_runs.write_text("# Short runs\n\nsome table\n")
    for name in ("search/run.json", "h.json"):
        (tmp_path / name).write_text(json.dumps(history))
    history["epochs"][0]["rollbacks"] = [{"loss": 1.0, "mean": 0.01, "lr": 5e-4}]  # the shipped twin's guard fired
    (tmp_path / "h-twin.json").write_text(json.dumps(history))
    done = run("report-denoiser", "--search", str(tmp_path / "search"), "--runs", "--data", str(tiny_data),
               "--ours-history", str(tmp_path / "h.json"), "--twin-history", str(tmp_path / "h-twin.json"),
               "--batch-sizes", str(tmp_path / "none"), "--ours", str(files["ours"]), "--twin", str(files["twin"]),
               "--course", str(tmp_path / "none.pth"), "--earlier", str(tmp_path / "earlier"),
               str(tmp_path / "older"), "--images", "2",
               "--out", str(tmp_path / "out"), "--short-runs", str(short_runs))
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "out" / "denoiser.md").read_text()
    seeds = text[text.index("## Ours and the twin over seeds"):].splitlines()
    rows = [line for line in seeds if line.startswith(("| shipped pair", "| earlier, seed-0", "| older, seed-0",
                                                       "| earlier, seed-1", "| mean"))]
    assert len(rows) == 5
    values = [[float(v) for v in row.split("|")[2:-1]] for row in rows]
    for ours_plain, twin_plain, diff_plain, ours_pred, twin_pred, diff_pred in values:
        assert diff_plain == pytest.approx(ours_plain - twin_plain, abs=2e-3)
        assert diff_pred == pytest.approx(ours_pred - twin_pred, abs=2e-3)
    assert rows[0].startswith("| shipped pair (updates undone: ours 0, twin 1) |")
    assert values[4][0] == pytest.approx(sum(v[0] for v in values[1:4]) / 3, abs=1e-3)  # the shipped pair left out
    assert len({v[0] for v in values[:4]}) == 4  # different weights, different PSNR
    plain = next(line for line in seeds if line.startswith("- plain network: ours - twin = "))
    assert f"{values[4][2]:+.3f} dB" in plain and "(3 pairs)" in plain
    assert seeds[seeds.index("## Short runs") + 2] == "some table"
    assert (tmp_path / "out" / "figure7.png").is_file() and (tmp_path / "out" / "ours-vs-twin.png").is_file()


def tree_digest(folder):
    """{relative path: bytes} of every file under ``folder`` outside runs/ and caches."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts and p.parts[len(folder.parts)] != "runs"}


@pytest.fixture
def project_copy(tmp_path):
    """A copy of the project's code and model files, as a fresh clone would have them (no big reports)."""
    copy = tmp_path / "project"
    skip = shutil.ignore_patterns("__pycache__", "*.png", "bestmodel*.pth", "*.pkl")
    for name in ("bin", "Miniproject_2", "others"):
        shutil.copytree(ROOT / name, copy / name, ignore=skip if name == "others" else shutil.ignore_patterns(
            "__pycache__"))
    return copy


def run_in(copy, script, *args):
    return subprocess.run([sys.executable, str(copy / "bin" / script), *args], capture_output=True, text=True,
                          timeout=600, cwd=copy)


def test_train_at_its_defaults_changes_no_existing_file(tiny_data, project_copy):
    before = tree_digest(project_copy)
    done = run_in(project_copy, "train", "--epochs", "1", "--data", str(tiny_data), "--train-size", "16",
                  "--architecture", '{"name": "unet", "widths": [4, 8]}')
    assert done.returncode == 0, done.stderr
    assert tree_digest(project_copy) == before  # the graded model and the tracked history are untouched
    (folder,) = (project_copy / "runs").iterdir()
    assert {p.name for p in folder.iterdir()} == {"bestmodel.pth", "train_history.json", "checkpoint.pt"}
    again = run_in(project_copy, "train", "--epochs", "1", "--data", str(tiny_data), "--train-size", "16",
                   "--architecture", '{"name": "unet", "widths": [4, 8]}')
    assert again.returncode == 0 and len(list((project_copy / "runs").iterdir())) == 2  # a new folder each run


def test_train_replaces_the_graded_model_only_with_install_and_keeps_the_old_one(tiny_data, project_copy, tmp_path):
    shipped = project_copy / "Miniproject_2" / "bestmodel.pth"
    old = shipped.read_bytes()
    refused = run_in(project_copy, "train", "--epochs", "1", "--data", str(tiny_data), "--out", str(shipped))
    assert refused.returncode == 2 and "--install" in refused.stderr and shipped.read_bytes() == old
    done = run_in(project_copy, "train", "--epochs", "1", "--data", str(tiny_data), "--train-size", "16",
                  "--run-dir", str(tmp_path / "r"), "--install")
    assert done.returncode == 0, done.stderr
    assert shipped.read_bytes() == (tmp_path / "r" / "bestmodel.pth").read_bytes() != old
    assert (shipped.parent / "bestmodel.pth.previous").read_bytes() == old
    assert "bestmodel.pth.previous" in done.stdout


def test_train_refuses_to_replace_an_existing_file(tiny_data, tmp_path):
    out = tmp_path / "mine.pth"
    out.write_bytes(b"the user's model")
    done = run("train", "--epochs", "1", "--data", str(tiny_data), "--out", str(out), "--run-dir", str(tmp_path / "r"))
    assert done.returncode == 2 and "already exists" in done.stderr and out.read_bytes() == b"the user's model"
    done = run("train", "--epochs", "1", "--resume", "--data", str(tiny_data))
    assert done.returncode == 2 and "--run-dir" in done.stderr


def write_photo(path, gray=False):
    from PIL import Image
    from skimage import data
    Image.fromarray(data.camera()[100:220, 150:290] if gray else data.coffee()[:150, :170]).save(path)


def test_denoise_names_every_file_and_overwrites_none_without_force(tmp_path):
    write_photo(tmp_path / "coffee.png")
    (tmp_path / "coffee-noisy.png").write_bytes(b"the user's file")
    done = run("denoise", str(tmp_path / "coffee.png"), "--add-noise", "25")
    assert done.returncode != 0 and "coffee-noisy.png already exists" in done.stderr and "--force" in done.stderr
    assert (tmp_path / "coffee-noisy.png").read_bytes() == b"the user's file"
    assert not (tmp_path / "coffee-denoised.png").exists()  # nothing written when one file is refused
    done = run("denoise", str(tmp_path / "coffee.png"), "--add-noise", "25", "--compare", "--force")
    assert done.returncode == 0, done.stderr
    for kind in ("denoised", "noisy", "compare"):
        assert str(tmp_path / f"coffee-{kind}.png") in done.stdout
    assert (tmp_path / "coffee-noisy.png").read_bytes() != b"the user's file"


def test_denoise_gives_a_grayscale_photo_back_as_grayscale(tmp_path):
    from PIL import Image
    write_photo(tmp_path / "camera.png", gray=True)
    done = run("denoise", str(tmp_path / "camera.png"), "--add-noise", "25", "--out", str(tmp_path / "o"))
    assert done.returncode == 0, done.stderr
    before, after = map(float, re.search(r"PSNR ([\d.]+) dB noisy -> ([\d.]+) dB", done.stdout).groups())
    assert after > before + 3
    for kind in ("denoised", "noisy"):
        with Image.open(tmp_path / "o" / f"camera-{kind}.png") as image:
            assert image.mode == "L" and image.size == (140, 120)


def test_rehearse_writes_its_table_and_keeps_an_existing_one(tiny_data, tmp_path):
    out = tmp_path / "rehearsal.md"
    done = run("rehearse", "--runs", "1", "-d", str(tiny_data), "--threads", "1", "--out", str(out))
    assert done.returncode in (0, 1), done.stderr  # 1: the check itself failed on this tiny set
    assert "| seed | before (dB)" in out.read_text() and len(json.loads(out.with_suffix(".json").read_text())) == 1
    again = run("rehearse", "--runs", "1", "-d", str(tiny_data), "--out", str(out))
    assert again.returncode == 2 and "already exist" in again.stderr


def test_make_data_refuses_to_replace_a_set_without_force(tmp_path):
    args = ["--out", str(tmp_path), "--train-size", "10", "--val-size", "10", "--set", "develop"]
    assert run("make-data", *args).returncode == 0
    before = (tmp_path / "train_data.pkl").read_bytes()
    done = run("make-data", *args, "--seed", "3")
    assert done.returncode == 2 and "--force" in done.stderr and (tmp_path / "train_data.pkl").read_bytes() == before
    done = run("make-data", *args, "--seed", "3", "--force")
    assert done.returncode == 0 and "the develop set" in done.stdout
    assert (tmp_path / "train_data.pkl").read_bytes() != before


def test_outputs_of_the_scripts_inside_the_project_are_ignored_by_git():
    """bin/denoise beside an image of the project, bin/train's runs/ and the data sets leave git status clean."""
    for path in ("others/reports/figure7-denoised.png", "others/reports/figure7-noisy.png",
                 "others/reports/figure7-compare.png", "runs/train-1/bestmodel.pth", "data/grading/val_data.pkl",
                 "Miniproject_2/bestmodel.pth.previous"):
        done = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT)
        assert done.returncode == 0, path


def test_benchmark_select_that_matches_nothing_is_explained():
    done = run("benchmark", "--select", "no-such-benchmark", "--allocator", "default")
    assert done.returncode != 0 and "no benchmark configuration's name contains 'no-such-benchmark'" in done.stderr
