"""The course submission zip: Proj_<SCIPERS>.zip holding Miniproject_2/ only, checked after unpacking."""
import re
import zipfile
from pathlib import Path

from Miniproject_2.others.denoiser.serialization import write_atomic_with

ROOT = Path(__file__).resolve().parent.parent
SUBMISSION = ROOT / "Miniproject_2"
SKIP_DIRS = {"__pycache__", ".pytest_cache", ".hypothesis", ".ipynb_checkpoints"}
SKIP_SUFFIXES = {".pyc", ".pyo", ".tmp", ".swp", ".previous"}  # .previous: the model bin/train --install replaced
SKIP_NAMES = {".DS_Store", "Thumbs.db"}


def project_name(scipers):
    """Return ``Proj_<SCIPER>[_<SCIPER>...]`` after checking there are 1-3 SCIPER numbers of 6 digits."""
    if not 1 <= len(scipers) <= 3:
        raise ValueError(f"give 1 to 3 SCIPER numbers, got {len(scipers)}")
    for sciper in scipers:
        if not re.fullmatch(r"\d{6}", str(sciper)):
            raise ValueError(f"a SCIPER number has exactly 6 digits, got {sciper!r}")
    return "Proj_" + "_".join(str(s) for s in scipers)


def submission_files(folder=SUBMISSION):
    """Yield the files of the submission folder that belong in the zip (no caches, no stray files)."""
    for path in sorted(Path(folder).rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and not SKIP_DIRS.intersection(relative.parts) and path.suffix not in SKIP_SUFFIXES \
                and path.name not in SKIP_NAMES and not path.name.startswith("."):
            yield path


def build(scipers, out_dir=ROOT / "dist", folder=SUBMISSION, replace=False):
    """Write ``Proj_<SCIPERS>.zip`` into ``out_dir``; return its path.

    The archive's top level is ``Miniproject_2/`` (with ``Report_2.pdf`` inside it when present). An existing zip
    of that name is replaced only when ``replace``; the new one is written whole before it takes the name.
    """
    folder = Path(folder)
    for required in ("__init__.py", "model.py", "bestmodel.pth"):
        if not (folder / required).is_file():
            raise FileNotFoundError(f"{folder / required} is missing; the submission needs it")
    target = Path(out_dir) / f"{project_name(scipers)}.zip"
    if target.exists() and not replace:
        raise FileExistsError(f"{target} already exists; pass --force to replace it, or --out FOLDER")
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic_with(target, lambda stream: write_zip(stream, folder))
    return target


def write_zip(stream, folder):
    """Write the submission folder's files into a zip on ``stream``, under ``Miniproject_2/``."""
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in submission_files(folder):
            archive.write(path, Path("Miniproject_2") / path.relative_to(folder))
