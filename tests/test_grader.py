"""The local grader (test.py): its checks pass on the submission and fail on a broken one."""
import importlib.util
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT


def grade(*args, cwd=ROOT):
    return subprocess.run([sys.executable, str(ROOT / "test.py"), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


def load_grader():
    """test.py as a module (its name would clash with the standard library's ``test`` package)."""
    spec = importlib.util.spec_from_file_location("local_grader", ROOT / "test.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_grading_passes_and_prints_the_summary(tiny_data):
    done = grade("-d", str(tiny_data), "--quick")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    for row in ("noisy input PSNR (dB)", "pretrained model PSNR (dB)", "training time on 300 images (s)",
                "quick mode: not judged", "checks", "0 failed"):
        assert row in output, row
    assert "is not named Proj_SCIPER" in output and "only the folder the course unpacks" in output


def test_quick_grading_does_not_judge_time(tiny_data, monkeypatch, capsys):
    grader = load_grader()
    monkeypatch.setattr(grader, "CPU_LIMIT_S", 0)  # any measured time is over these limits
    monkeypatch.setattr(grader, "GPU_LIMIT_S", 0)
    assert grader.main(["-d", str(tiny_data), "--quick", "--course-only"]) == 0, capsys.readouterr().out


@pytest.mark.parametrize("before, after, explained", [(30.328, 30.326, True), (30.328, 30.2, False),
                                                      (30.3, 30.4, False)])
def test_a_near_miss_of_the_one_epoch_check_is_explained(before, after, explained):
    text = load_grader().explain_one_epoch({"before": before, "after": after})
    assert (text is not None) == explained
    if explained:
        assert f"{before - after:.4f} dB" in text and "docs/model.md" in text


def test_grading_fails_on_a_submission_that_breaks_the_rules(tiny_data, tmp_path):
    project = tmp_path / "Proj_123456"
    shutil.copytree(ROOT / "Miniproject_2", project / "Miniproject_2",
                    ignore=shutil.ignore_patterns("__pycache__"))
    conv = project / "Miniproject_2" / "others" / "conv.py"
    conv.write_text("import numpy\n" + conv.read_text())
    done = grade("-p", str(project), "-d", str(tiny_data), "--quick")
    assert done.returncode == 1
    assert "imports numpy" in done.stdout + done.stderr


def test_missing_project_folder_is_explained(tmp_path):
    done = grade("-p", str(tmp_path), "-d", str(tmp_path))
    assert done.returncode == 2 and "has no Miniproject_2/ folder" in done.stderr
