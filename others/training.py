"""Training runs for bin/train: epochs, validation PSNR, best-model saves, checkpoints to resume from, history."""
import json
import time
from pathlib import Path

import torch
from tqdm import tqdm

from others.files import remove_stale_temporaries, save_atomic, write_bytes_atomic, write_text_atomic
from others.metrics import psnr, validation_psnr


def tqdm_progress(bar):
    """Return a ``Model.progress`` callback that drives a tqdm bar."""
    def progress(done, total, loss, started):
        bar.total = total
        bar.update(done - bar.n)
        bar.set_postfix(loss=f"{loss:.5f}", refresh=False)
    return progress


def save_checkpoint(path, model, epoch, best, history):
    """Atomically write everything needed to continue the run after ``epoch``."""
    schedule = None if model.schedule is None else model.schedule.state_dict()
    save_atomic({"epoch": epoch, "best": best, "history": history, "architecture": model.architecture,
                 "weights": dict(model.net.state_dict()), "optimizer": model.optimizer.state_dict(),
                 "schedule": schedule, "rng": torch.get_rng_state()}, path)


def load_checkpoint(path, model):
    """Restore a checkpoint into ``model``; return ``(epoch, best, history)``."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"no checkpoint at {path} to resume from; start without --resume")
    state = torch.load(path, weights_only=True)
    if state["architecture"] != model.architecture:
        raise ValueError(f"checkpoint {path} is for {state['architecture']}, the model is {model.architecture}")
    model.net.load_state_dict(state["weights"])
    model.optimizer.load_state_dict(state["optimizer"])
    if state["schedule"] is not None:
        model.plan(1, 1)  # a schedule object to restore into; its length comes from the checkpoint
        model.schedule.load_state_dict(state["schedule"])
    torch.set_rng_state(state["rng"])
    return state["epoch"], state["best"], state["history"]


def run(model, data, epochs, out, history_path, checkpoint, resume=False, start=None, governor=None):
    """Train ``model`` up to epoch ``epochs``; save it to ``out`` whenever the validation PSNR improves.

    Args:
        model: a ``Miniproject_2.model.Model``.
        data: (train_input, train_target, val_input, val_target).
        epochs: the last epoch to run.
        out: model file, written atomically on improvement only.
        history_path: JSON history, rewritten after every epoch.
        checkpoint: file written after every epoch, from which ``resume=True`` continues.
        start: the model file the weights were loaded from, if any (recorded in the history).
        governor: an ``others.threads.Governor`` that chooses the thread count as the batches go, or None to
            leave torch's setting alone; each epoch records the count it had chosen at the end (``threads``).

    Returns:
        The history dict.
    """
    train_input, train_target, val_input, val_target = data
    for path in (out, checkpoint):
        remove_stale_temporaries(path)
    if resume:
        done, best, history = load_checkpoint(checkpoint, model)
        if done >= epochs:
            raise ValueError(f"the checkpoint is already at epoch {done}; raise --epochs above it to go on")
        changed = sorted(k for k in history["recipe"] if history["recipe"][k] != model.recipe.get(k))
        if changed:  # the same options as the run being resumed, or its epochs would not follow one recipe
            raise ValueError("the checkpoint's run used " + ", ".join(f"{k}={history['recipe'][k]!r}" for k in changed)
                             + "; resume with the same options (e.g. --batch-size, --lr, --[no-]augment)")
        planned = history.get("planned_epochs")
        if planned is not None and planned != epochs:  # a schedule spans the planned epochs, no more, no fewer
            raise ValueError(f"the checkpoint's learning-rate schedule runs over {planned} epochs; resume with "
                             f"--epochs {planned}, or go on from the model file with --from")
    else:
        done, best = 0, None
        model.plan(epochs, train_input.shape[0])
        history = {"architecture": model.architecture, "recipe": model.recipe,
                   "planned_epochs": None if model.schedule is None else epochs, "train_size": train_input.shape[0],
                   "noisy_psnr_db": psnr(val_input.double() / 255, val_target.double() / 255), "epochs": []}
        if start is not None:
            history["from"] = str(start)
    for epoch in range(done + 1, epochs + 1):
        with tqdm(desc=f"epoch {epoch}/{epochs}", unit="img", dynamic_ncols=True) as bar:
            model.progress = governor.wrap(tqdm_progress(bar)) if governor else tqdm_progress(bar)
            started, undone = time.perf_counter(), len(model.rollbacks)
            model.train(train_input, train_target, 1)
            seconds = time.perf_counter() - started
        value = validation_psnr(model, val_input, val_target)
        improved = best is None or value > best
        if improved:
            best = value
            model.save(out, meta={"val_psnr_db": value, "epoch": epoch})  # Model.save adds the recipe
        history["epochs"].append({"epoch": epoch, "val_psnr_db": value, "seconds": seconds, "saved": improved,
                                  "rollbacks": model.rollbacks[undone:],
                                  "threads": governor.chosen if governor else torch.get_num_threads()})
        save_checkpoint(checkpoint, model, epoch, best, history)
        write_text_atomic(history_path, json.dumps(history, indent=2))
        tqdm.write(f"epoch {epoch}: validation PSNR {value:.3f} dB ({seconds:.0f} s)" + (", saved" if improved else ""))
    return history


def install(model_file, target):
    """Copy ``model_file`` over ``target`` atomically, first keeping ``target`` as ``target.previous``.

    Returns:
        The path of the kept previous file, or None when ``target`` did not exist.
    """
    model_file, target = Path(model_file), Path(target)
    previous = None
    if target.is_file():
        previous = target.with_name(target.name + ".previous")
        write_bytes_atomic(previous, target.read_bytes())
    write_bytes_atomic(target, model_file.read_bytes())
    return previous
