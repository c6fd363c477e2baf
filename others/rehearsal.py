"""The course's one-epoch check repeated in fresh processes: load the model, measure, train one epoch, measure."""
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one_epoch(model, train_input, train_target, val_input, val_target, threads=None):
    """The course's check on ``model``: (validation PSNR before, PSNR after one epoch, seconds of the epoch).

    ``threads`` fixes torch's CPU thread count; by default (on the CPU) a governor chooses it from the cores other
    programs leave free and then as the batches go (``others/threads.py``). Torch's thread count is put back after.
    """
    import torch

    from others import threads as governors
    from others.metrics import validation_psnr
    was = torch.get_num_threads()
    try:
        if threads:
            torch.set_num_threads(threads)
        elif getattr(model, "device", "cpu") == "cpu":
            governors.govern(model)
        before = validation_psnr(model, val_input, val_target)
        started = time.perf_counter()
        model.train(train_input, train_target, num_epochs=1)
        seconds = time.perf_counter() - started
        return before, validation_psnr(model, val_input, val_target), seconds
    finally:
        torch.set_num_threads(was)


def one_check(project, data, seed, threads=None):
    """Run the check once in this process, as the course's test script does; return its figures.

    Args:
        project: folder holding Miniproject_2/.
        data: course-format data folder.
        seed: seeds torch (the epoch's shuffle and augmentation draws).
        threads: CPU threads, fixed (default: chosen as ``one_epoch`` does).
    """
    import torch

    from others import standin
    sys.path.insert(0, str(project))
    from Miniproject_2.model import Model
    torch.manual_seed(seed)
    train_input, train_target, val_input, val_target = standin.load(data)
    model = Model()
    model.progress = lambda *args: None
    model.load_pretrained_model()
    before, after, seconds = one_epoch(model, train_input, train_target, val_input, val_target, threads)
    return {"seed": seed, "before_db": before, "after_db": after, "gain_db": after - before, "epoch_s": seconds,
            "passed": after > before}


def fresh_process(project, data, seed, threads=None):
    """``one_check`` in a new Python process (nothing cached from an earlier run); return its figures."""
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); from others.rehearsal import one_check; "
            "print(json.dumps(one_check(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]) or None)))")
    command = [sys.executable, "-c", code, str(ROOT), str(project), str(data), str(seed), str(int(threads or 0))]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the check with seed {seed} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(runs):
    """A Markdown table of the runs and a closing line: how many passed, the smallest and mean gains."""
    lines = ["| seed | before (dB) | after (dB) | gain (dB) | epoch (s) | passed |", "|---:|---:|---:|---:|---:|:---:|"]
    for r in runs:
        lines.append(f"| {r['seed']} | {r['before_db']:.3f} | {r['after_db']:.3f} | {r['gain_db']:+.3f} | "
                     f"{r['epoch_s']:.0f} | {'yes' if r['passed'] else 'no'} |")
    gains = [r["gain_db"] for r in runs]
    lines.append("")
    lines.append(f"{sum(r['passed'] for r in runs)} of {len(runs)} passed; gain {min(gains):+.3f} to "
                 f"{max(gains):+.3f} dB, mean {sum(gains) / len(gains):+.3f} dB.")
    return "\n".join(lines)
