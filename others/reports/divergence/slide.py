r"""Follow a ``bin/train`` run to its first loss spike and measure how far the weights had slid before it.

    python others/reports/divergence/slide.py --epochs 20 --seed 0 --threads 2 \
        > others/reports/divergence/slide-seed-0.txt

Trains as ``bin/train --epochs E --seed S --threads T`` does (same data, seed, schedule and order of random draws,
hence the same steps, on the same kind of machine) until ``Model``'s spike guard fires, keeping the weights
every ``--every`` updates and before each of the last ``--last`` ones. Then prints, for each kept state, the
validation PSNR of the plain network (outputs clamped to [0, 1] as ``predict`` does), its
worst image and its largest output before clamping: did the run blow up in one update, or slide?
"""
import argparse
import collections
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from Miniproject_2.model import Model  # noqa: E402
from others import standin  # noqa: E402
from others.metrics import psnr  # noqa: E402
from others.twin import twin_of  # noqa: E402


class Spike(Exception):
    """Raised by the guard's rollback: the run stops there."""


def run_to_spike(args, data):
    """Train until the guard fires; return (model, {update: weights before it}, (update, loss, mean, batch)) of the
    spike; the model holds the weights the spike was measured with."""
    torch.manual_seed(args.seed)
    model = Model()
    model.progress = lambda *a: None
    model.plan(args.epochs, data[0].shape[0])
    kept, recent, real_step = {}, collections.deque(maxlen=args.last), model._step

    def step(x, y):
        update = step.count = step.count + 1
        step.batch = (x, y)
        weights = [p.clone() for p, _ in model.net.param()]
        recent.append((update, weights))
        if update % args.every == 0:
            kept[update] = weights
        return real_step(x, y)

    def roll_back(loss):
        raise Spike(step.count, loss, model._losses.mean, step.batch)

    step.count = 0
    model._step, model._roll_back = step, roll_back
    for _ in range(args.epochs):
        try:
            model.train(data[0], data[1], 1)
        except Spike as spike:
            kept.update(recent)
            return model, kept, spike.args
    sys.exit(f"no spike in {args.epochs} epochs")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=20, help="epochs of the run (its schedule's length)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2,
                        help="CPU threads (the rounding, hence the run, depends on them)")
    parser.add_argument("--every", type=int, default=250, help="keep the weights every N updates")
    parser.add_argument("--last", type=int, default=8, help="and before each of the last N updates")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = standin.load(standin.ensure(standin.DEVELOP_DATA))
    model, kept, (update, loss, mean, (x, y)) = run_to_spike(args, data)
    print(f"bin/train --epochs {args.epochs} --seed {args.seed} --threads {args.threads}: the guard fired at "
          f"batch {update}, before update {update} (loss {loss:.4g}, running mean {mean:.4g})")
    twin = twin_of(model.net, model.architecture).double()
    with torch.no_grad():
        theirs = (twin(x.double()) - y.double()).pow(2).mean().item()
    ours = (model.net.forward(x) - y).pow(2).mean(dim=(1, 2, 3))
    print(f"that batch from the same weights: ours {ours.mean().item():.6g}, the torch.nn twin in float64 "
          f"{theirs:.6g}; per image (ours): {', '.join(f'{v:.4g}' for v in ours.tolist())}\n")
    print("| weights before update | validation PSNR, plain (dB) | worst image's MSE | largest output |")
    print("|---:|---:|---:|---:|")
    val_input, val_target = (t.float() / 255 for t in data[2:])
    model.net.eval()
    for number in sorted(kept):
        for (p, _), saved in zip(model.net.param(), kept[number]):
            p.copy_(saved)
        out = model.net.forward(val_input)
        clamped = out.clamp(0, 1)  # as predict clamps
        worst = (clamped - val_target).pow(2).mean(dim=(1, 2, 3)).max().item()
        print(f"| {number} | {psnr(clamped, val_target):.2f} | {worst:.4f} | {out.abs().max().item():.2f} |")


if __name__ == "__main__":
    main()
