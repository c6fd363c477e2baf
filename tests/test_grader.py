"""The local grader (test.py): its checks pass on the submission and fail on a broken one."""
import shutil
import subprocess
import sys

from conftest import ROOT


def grade(*args, cwd=ROOT):
    return subprocess.run([sys.executable, str(ROOT / "test.py"), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


def test_quick_grading_passes_and_prints_the_summary(tiny_data):
    done = grade("-d", str(tiny_data), "--quick")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    for row in ("noisy input PSNR (dB)", "pretrained model PSNR (dB)", "one epoch of 50000 images (s)",
                "checks", "0 failed"):
        assert row in output, row


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
