"""Is the framework's gap to its PyTorch twin real? Short runs of the shipped recipe over many seeds, paired.

    python others/reports/twin-gap/study.py            # 8 seeds x (ours, twin), about 35 minutes on 2 cores

For each seed, ``bin/train --seed N --train-size 10000 --epochs 3 --threads 1`` and the same with ``--twin`` run
side by side (one core each): same initial weights, batches, flips and schedule, so the two runs differ by float32
rounding alone. A full-scale pair takes 80 minutes and a seed moves the result by more than the 0.05 dB in
question; short pairs buy the number of seeds that a mean difference and its confidence interval need. Histories go
to ``seed-N/`` beside this file (kept), model files to ``runs/twin-gap/`` (not kept; a run whose history is complete
and whose model file is still there is not run again), the summary to ``summary.md``.
"""
import argparse
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
MODELS = ROOT / "runs" / "twin-gap"
SIDES = {"ours": "", "twin": "-twin"}


def paths(seed, side):
    """(history, model file, checkpoint) of one run."""
    suffix = SIDES[side]
    return (HERE / f"seed-{seed}" / f"train_history{suffix}.json", MODELS / f"seed-{seed}{suffix}.pth",
            MODELS / f"seed-{seed}{suffix}.pt")


def complete(history, epochs):
    """Whether ``history`` exists and holds all ``epochs`` epochs."""
    return history.is_file() and len(json.loads(history.read_text())["epochs"]) == epochs


def train(seed, side, args):
    """Run bin/train for one side of one seed unless its history and model file are already there."""
    history, out, checkpoint = paths(seed, side)
    if complete(history, args.epochs) and out.is_file():
        return
    command = [sys.executable, str(ROOT / "bin" / "train"), "--seed", str(seed), "--train-size",
               str(args.train_size), "--epochs", str(args.epochs), "--threads", "1", "--out", str(out),
               "--history", str(history), "--checkpoint", str(checkpoint)] + (["--twin"] if side == "twin" else [])
    with open(MODELS / f"seed-{seed}{SIDES[side]}.log", "w") as log:
        subprocess.run(command, check=True, stdout=log, stderr=subprocess.STDOUT)


def evaluate(seeds):
    """Rows ``(label, ours, twin, counted)`` for ``denoiser_report.seed_table``, one per seed."""
    sys.path.insert(0, str(ROOT))
    from others import denoiser_report, standin

    _, _, val_input, val_target = standin.load(standin.ensure(standin.DEVELOP_DATA))
    return [denoiser_report.pair_row(str(seed), paths(seed, "ours")[1], paths(seed, "twin")[1], HERE / f"seed-{seed}",
                                     val_input, val_target) for seed in seeds]


def summary(rows, args):
    """Markdown: the per-seed table and the mean differences with their 95 % intervals."""
    from others import denoiser_report
    return "\n".join([f"# Ours against the PyTorch twin over {len(rows)} seeds, short runs", "",
                      f"`python others/reports/twin-gap/study.py --seeds {' '.join(map(str, args.seeds))}` "
                      f"({args.train_size:,} pairs, {args.epochs} epoch(s), the shipped recipe, one core per run; "
                      "best epoch's model, validation PSNR in dB on the 1,000 stand-in validation pairs). Pairs "
                      "whose spike guard fired stay out of the mean.", "",
                      denoiser_report.seed_table(rows), ""] + denoiser_report.difference_lines(rows)) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(10, 18)),
                        help="seeds to run (default: 10 to 17)")
    parser.add_argument("--train-size", type=int, default=10000, help="training pairs (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run (default: %(default)s)")
    parser.add_argument("--jobs", type=int, default=2, help="runs at a time, one core each (default: %(default)s)")
    args = parser.parse_args()
    if len(args.seeds) < 2:
        parser.error("--seeds needs at least two seeds for an interval")
    MODELS.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(args.jobs) as pool:
        list(pool.map(lambda job: train(*job, args), [(s, side) for s in args.seeds for side in SIDES]))
    text = summary(evaluate(args.seeds), args)
    (HERE / "summary.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
