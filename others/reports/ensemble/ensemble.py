r"""Validation PSNR of model files under self-ensembles of several sizes, with and without negatives.

    python others/reports/ensemble/ensemble.py Miniproject_2/bestmodel.pth others/reports/twin/bestmodel-twin.pth \
        others/reports/course/bestmodel-course.pth others/reports/colours-10-epochs/bestmodel.pth \
        others/reports/colours-10-epochs/bestmodel-twin.pth others/reports/no-colours/bestmodel.pth \
        others/reports/no-colours/bestmodel-twin.pth others/reports/course/bestmodel-course-no-colours.pth \
        > others/reports/ensemble/ensemble.md

Each file's model (loaded by ``Model.load_pretrained_model``) is measured as the grader measures ``predict``
(``denoiser_report.psnr_with``) with its recipe's ``self_ensemble`` set to K and ``color_augment`` set to whether
the ensemble uses negatives (the first K transforms of ``augment.ensemble``: symmetries of the square only, or each
symmetry plain and as a negative). The file's own ``predict`` uses K = 4, with negatives exactly when the file's
recipe trained with colours.
"""
import argparse
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from Miniproject_2.model import Model  # noqa: E402
from others import standin  # noqa: E402
from others.denoiser_report import psnr_with  # noqa: E402

ENSEMBLES = [(1, False), (4, False), (4, True), (8, False), (8, True), (16, True)]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", type=Path, nargs="+", help="model files")
    parser.add_argument("--data", type=Path, help="folder with val_data.pkl (default: the stand-in set)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (default: %(default)s)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    _, _, noisy, clean = standin.load(standin.ensure() if args.data is None else args.data)
    names = [f"K = {count}" + (", negatives" if negatives else "") for count, negatives in ENSEMBLES]
    print("# Self-ensembles on the validation set\n\nValidation PSNR (dB) of each model file's network averaged over "
          "K transforms (`augment.ensemble`): K symmetries of the square, or K/2 symmetries each plain and as a "
          "negative. Written by `others/reports/ensemble/ensemble.py`.\n")
    print("| model file | trained with colours | " + " | ".join(names) + " |")
    print("|---|---|" + "---:|" * len(names))
    for path in args.models:
        model = Model()
        model.load_pretrained_model(path)
        values = [psnr_with(model, noisy, clean, self_ensemble=count, color_augment=negatives)
                  for count, negatives in ENSEMBLES]
        print(f"| `{path}` | {'yes' if model.recipe['color_augment'] else 'no'} | "
              + " | ".join(f"{v:.3f}" for v in values) + " |", flush=True)


if __name__ == "__main__":
    main()
