"""The submission zip: the course's name rule, only Miniproject_2/, no stray files, checked after unpacking."""
import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT
from others import package


@pytest.mark.parametrize("scipers, name", [(["123456"], "Proj_123456"),
                                           (["123456", "234567", "345678"], "Proj_123456_234567_345678")])
def test_project_name(scipers, name):
    assert package.project_name(scipers) == name


@pytest.mark.parametrize("scipers, words", [([], "1 to 3"), (["12345"], "6 digits"), (["1234567"], "6 digits"),
                                            (["12345a"], "6 digits"), (["111111"] * 4, "1 to 3")])
def test_bad_scipers_are_explained(scipers, words):
    with pytest.raises(ValueError, match=words):
        package.project_name(scipers)


def test_zip_holds_the_submission_without_strays(tmp_path):
    folder = tmp_path / "Miniproject_2"
    shutil.copytree(ROOT / "Miniproject_2", folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "others" / "__pycache__").mkdir()
    (folder / "others" / "__pycache__" / "conv.cpython-311.pyc").write_bytes(b"x")
    (folder / ".DS_Store").write_bytes(b"x")
    (folder / ".bestmodel.pth.abc.tmp").write_bytes(b"x")
    (folder / "Report_2.pdf").write_bytes(b"%PDF-1.4")
    target = package.build(["123456"], tmp_path / "new" / "folder", folder)  # made when absent
    names = zipfile.ZipFile(target).namelist()
    assert target.name == "Proj_123456.zip"
    assert all(n.startswith("Miniproject_2/") for n in names)
    assert {"Miniproject_2/__init__.py", "Miniproject_2/model.py", "Miniproject_2/bestmodel.pth",
            "Miniproject_2/Report_2.pdf", "Miniproject_2/others/conv.py"} <= set(names)
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".tmp", ".DS_Store"))]


def test_an_existing_zip_is_replaced_only_when_asked(tmp_path):
    target = tmp_path / "Proj_123456.zip"
    target.write_bytes(b"the user's zip")
    with pytest.raises(FileExistsError, match="--force"):
        package.build(["123456"], tmp_path)
    assert target.read_bytes() == b"the user's zip"
    package.build(["123456"], tmp_path, replace=True)
    assert "Miniproject_2/model.py" in zipfile.ZipFile(target).namelist()


def test_the_default_zip_folder_is_ignored_by_git():
    default = package.build.__defaults__[0]
    assert default == ROOT / "dist"
    done = subprocess.run(["git", "check-ignore", "-q", str(default / "Proj_123456.zip")], cwd=ROOT)
    assert done.returncode == 0  # git status stays clean after bin/package


def test_missing_model_file_is_refused(tmp_path):
    folder = tmp_path / "Miniproject_2"
    shutil.copytree(ROOT / "Miniproject_2", folder, ignore=shutil.ignore_patterns("__pycache__", "bestmodel.pth"))
    with pytest.raises(FileNotFoundError, match="bestmodel.pth"):
        package.build(["123456"], tmp_path, folder)


def test_bin_package_builds_and_checks_the_unpacked_copy(tiny_data, tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "bin" / "package"), "--sciper", "123456", "234567",
                           "--out", str(tmp_path), "-d", str(tiny_data)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "Proj_123456_234567.zip").is_file()
    assert "ready to upload" in done.stdout
    assert "quick mode: not judged" in done.stdout  # the verdict does not rest on a few seconds of timing


def test_bin_package_rejects_a_bad_sciper(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "bin" / "package"), "--sciper", "12", "--out", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 1 and "6 digits" in done.stderr and not list(tmp_path.iterdir())
