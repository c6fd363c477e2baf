r"""Validation PSNR of model files under self-ensembles of several sizes, with and without negatives.

    python others/reports/ensemble/ensemble.py Miniproject_2/bestmodel.pth others/reports/twin/bestmodel-twin.pth \
        others/reports/course/bestmodel-course.pth others/reports/no-colours/bestmodel.pth \
        others/reports/no-colours/bestmodel-twin.pth others/reports/course/bestmodel-course-no-colours.pth \
        > others/reports/ensemble/ensemble.md

Each file's network (loaded as ``Model.load_pretrained_model`` does) is averaged over the first K transforms of
``augment.ensemble``, symmetries of the square only or each symmetry plain and as a negative, and the outputs are
clamped to [0, 1] as ``predict`` clamps them; ``predict`` itself uses the recipe's ``self_ensemble`` (4) with
negatives exactly when the file's recipe trained with colours.
"""
import argparse
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from Miniproject_2.model import Model, augment  # noqa: E402
from others import standin  # noqa: E402
from others.metrics import psnr  # noqa: E402

ENSEMBLES = [(1, None), (4, None), (4, 1.0), (8, None), (8, 1.0), (16, 1.0)]


def ensemble_psnr(model, noisy, clean, count, white, batch=250):
    """PSNR (dB) of ``model``'s network averaged over ``count`` transforms (negatives when ``white``)."""
    def network(x):
        return torch.cat([model.net.forward(x[i:i + batch]) for i in range(0, x.shape[0], batch)])
    model.net.eval()
    out = augment.average_over_symmetries(network, noisy, count, white).clamp(0, 1)
    return psnr(out.double(), clean.double())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", type=Path, nargs="+", help="model files")
    parser.add_argument("--data", type=Path, help="folder with val_data.pkl (default: the stand-in set)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (default: %(default)s)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    _, _, noisy, clean = standin.load(standin.ensure() if args.data is None else args.data)
    noisy, clean = noisy.float() / 255, clean.float() / 255
    names = [f"K = {count}" + (", negatives" if white else "") for count, white in ENSEMBLES]
    print("# Self-ensembles on the validation set\n\nValidation PSNR (dB) of each model file's network averaged over "
          "K transforms (`augment.ensemble`): K symmetries of the square, or K/2 symmetries each plain and as a "
          "negative. Written by `others/reports/ensemble/ensemble.py`.\n")
    print("| model file | trained with colours | " + " | ".join(names) + " |")
    print("|---|---|" + "---:|" * len(names))
    for path in args.models:
        model = Model()
        model.load_pretrained_model(path)
        values = [ensemble_psnr(model, noisy, clean, count, white) for count, white in ENSEMBLES]
        print(f"| `{path}` | {'yes' if model.recipe['color_augment'] else 'no'} | "
              + " | ".join(f"{v:.3f}" for v in values) + " |", flush=True)


if __name__ == "__main__":
    main()
