"""The denoiser report: the architecture search table, Figure 5 (PSNR per epoch per batch size) and
Figure 7 (validation images: noisy, ours, PyTorch twin, clean), from training histories and model files."""
import json
import statistics
import time
from pathlib import Path

import torch

from Miniproject_2.model import Model
from Miniproject_2.others.denoiser import networks
from others.metrics import psnr, validation_psnr


def load_history(path):
    """Return a training history (JSON written by ``bin/train``) with its file name as ``name``."""
    history = json.loads(Path(path).read_text())
    history["name"] = Path(path).stem
    return history


def best_epoch(history):
    """The epoch record with the highest validation PSNR."""
    if not history["epochs"]:
        raise ValueError(f"history {history.get('name', '')} has no epochs yet")
    return max(history["epochs"], key=lambda e: e["val_psnr_db"])


def parameter_count(architecture):
    """Number of learnt values of the described network."""
    return sum(p.numel() for p, _ in networks.build(architecture).param())


def epoch_seconds(architecture, batch_size=32, images=2048, repeats=2, seed=0):
    """Seconds for one epoch of 50,000 32x32 pairs, scaled from ``Model.train`` on ``images`` pairs (best of
    ``repeats``), after one warm-up pass."""
    torch.manual_seed(seed)
    model = Model()
    model.configure(architecture, batch_size=batch_size)
    model.progress = lambda *args: None
    x = torch.randint(0, 256, (images, 3, 32, 32), dtype=torch.uint8)
    model.train(x[:batch_size * 4], x[:batch_size * 4], 1)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        model.train(x, x.flip(0), 1)
        best = min(best, time.perf_counter() - started)
    return best * 50000 / images


def speed_key(history):
    """The key of a history's epoch time: its network and batch size (runs that share them share the time)."""
    return json.dumps([history["architecture"], history["recipe"]["batch_size"]], sort_keys=True)


def search_table(histories, seconds):
    """Markdown rows of the search: one line per history, best validation PSNR and epoch time."""
    lines = ["| run | network | parameters | training | best val. PSNR (dB) | s / epoch of 50,000 |",
             "|---|---|---:|---|---:|---:|"]
    for history in histories:
        arch, recipe, best = history["architecture"], history["recipe"], best_epoch(history)
        network = ", ".join(f"{k}={v}" for k, v in arch.items())
        start = f" from {history['from']}," if history.get("from") else ""
        # A run from a model file trains at a constant rate (planned_epochs None); older histories lack the keys.
        cosine = recipe.get("schedule") == "cosine" and history.get("planned_epochs", 0) is not None
        training = (f"{history['train_size']} pairs x {len(history['epochs'])} ep.,{start} "
                    f"batch {recipe['batch_size']}, lr {recipe['lr']:g}" + (", cosine" if cosine else "")
                    + (", flips" if recipe.get("augment") else "")
                    + (", colours" if recipe.get("color_augment") else "")
                    + (f", weighted 1/sigma^{recipe['noise_weighting']:g}" if recipe.get("noise_weighting") else ""))
        sec = seconds.get(speed_key(history))
        ensemble = recipe.get("self_ensemble", 1)  # validation runs predict, which averages over these symmetries
        mark = f", x{ensemble}" if ensemble > 1 else ""
        lines.append(f"| {history['name']} | {network} | {parameter_count(arch):,} | {training} | "
                     f"{best['val_psnr_db']:.2f} (ep. {best['epoch']}{mark}) | {'' if sec is None else f'{sec:.0f}'} |")
    return "\n".join(lines)


def psnr_with(model, val_input, val_target, **entries):
    """``validation_psnr`` of ``model``'s ``predict`` with the recipe ``entries`` set (e.g. ``self_ensemble=1``)
    for the measurement only: the recipe is as before afterwards, even when it fails."""
    saved = {key: model.recipe[key] for key in entries}
    try:
        model.recipe.update(entries)
        return validation_psnr(model, val_input, val_target)
    finally:
        model.recipe.update(saved)


def plain_and_predict_psnr(model, val_input, val_target):
    """Validation PSNR of the plain network (one symmetry) and of ``predict`` with the model's own ensemble."""
    return psnr_with(model, val_input, val_target, self_ensemble=1), validation_psnr(model, val_input, val_target)


def rollback_note(ours_history, twin_history):
    """Return " (updates undone: ours N, twin M)" from the two runs' history files when the spike guard fired in
    either run (``Model._roll_back``), else "" (a missing file counts as no update undone)."""
    counts = []
    for path in (ours_history, twin_history):
        epochs = json.loads(path.read_text())["epochs"] if path.is_file() else []
        counts.append(sum(len(e.get("rollbacks", [])) for e in epochs))
    return f" (updates undone: ours {counts[0]}, twin {counts[1]})" if any(counts) else ""


def load_model(cls, path):
    """A model of class ``cls`` (ours or ``TwinModel``) with the weights of the model file ``path``."""
    model = cls()
    model.load_pretrained_model(path)
    return model


def pair_row(label, ours_file, twin_file, folder, val_input, val_target):
    """A ``seed_table`` row for one run pair: each model file's (plain, predict) PSNR, labelled with
    the ``rollback_note`` of the histories in ``folder`` and counted only if the guard never fired."""
    from others.twin import TwinModel
    note = rollback_note(folder / "train_history.json", folder / "train_history-twin.json")
    return (label + note, plain_and_predict_psnr(load_model(Model, ours_file), val_input, val_target),
            plain_and_predict_psnr(load_model(TwinModel, twin_file), val_input, val_target), not note)


def counted(row):
    """Whether a ``seed_table`` row enters the means: rows without a ``counted`` flag do."""
    return len(row) < 4 or row[3]


def seed_table(rows):
    """Markdown table of ours against the PyTorch twin, one row per seed, and the mean of each column.

    Args:
        rows: ``(label, ours, twin)`` or ``(label, ours, twin, counted)`` per seed, ``ours`` and ``twin`` being
            (plain, predict) PSNRs in dB; a row with ``counted`` False is shown but left out of the mean (a run
            pair whose spike guard fired: each side then ran at its own reduced rate).
    """
    if not rows:
        raise ValueError("seed_table needs at least one row")
    lines = ["| seed | ours, plain | twin, plain | difference | ours, predict | twin, predict | difference |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    table = [(row[0], row[1][0], row[2][0], row[1][0] - row[2][0], row[1][1], row[2][1], row[1][1] - row[2][1])
             for row in rows]
    kept = [r for r, row in zip(table, rows) if counted(row)]
    label = "mean" if len(kept) == len(table) else "mean of the rows above without undone updates"
    means = [label] + [sum(r[i] for r in kept) / len(kept) for i in range(1, 7)] if kept else None
    for label, *values in table + ([means] if len(kept) > 1 else []):
        cells = [f"{v:+.3f}" if i in (2, 5) else f"{v:.3f}" for i, v in enumerate(values)]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def paired_interval(differences, level=0.95):
    """Return ``(mean, standard error, (low, high))`` of paired differences, with the two-sided ``level``
    Student t confidence interval of their mean (at least two differences)."""
    from scipy.stats import t
    if len(differences) < 2:
        raise ValueError(f"paired_interval needs at least two differences, got {len(differences)}")
    mean = statistics.fmean(differences)
    error = statistics.stdev(differences) / len(differences) ** 0.5
    half = float(t.ppf(0.5 + level / 2, len(differences) - 1)) * error
    return mean, error, (mean - half, mean + half)


def difference_lines(rows):
    """Markdown bullets: ours - twin over the counted rows of ``seed_table``, plain and predict, with 95 % intervals."""
    kept = [row for row in rows if counted(row)]
    if len(kept) < 2:
        return []
    lines = []
    for index, name in ((0, "plain network"), (1, "`predict`")):
        mean, error, (low, high) = paired_interval([row[1][index] - row[2][index] for row in kept])
        lines.append(f"- {name}: ours - twin = {mean:+.3f} dB, standard error {error:.3f}, 95 % interval "
                     f"{low:+.3f} to {high:+.3f} dB ({len(kept)} pairs).")
    return lines


def figure5(histories, path, title, label=lambda h: f"batch {h['recipe']['batch_size']}"):
    """Plot validation PSNR against epoch, one line per history (labelled by default by its batch size)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for history in histories:
        epochs = history["epochs"]
        ax.plot([e["epoch"] for e in epochs], [e["val_psnr_db"] for e in epochs], "o-", label=label(history))
    ax.set(xlabel="epoch", ylabel="validation PSNR (dB)", title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def figure7(noisy, outputs, clean, path, scale=4):
    """A grid, one row per image: noisy | each output (a dict label -> images) | clean, with per-image PSNRs.

    Shape:
        noisy, clean and every output: (N, 3, H, W) in 0-255.
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    columns = [("noisy", noisy)] + list(outputs.items()) + [("clean", clean)]
    rows = noisy.shape[0]
    fig, axes = plt.subplots(rows, len(columns), figsize=(1.9 * len(columns), 1.9 * rows), squeeze=False)
    for i in range(rows):
        for j, (label, images) in enumerate(columns):
            ax = axes[i][j]
            ax.imshow(images[i].clamp(0, 255).round().byte().permute(1, 2, 0).numpy(), interpolation="nearest")
            ax.set_xticks([]), ax.set_yticks([])
            value = "" if label == "clean" else f"\n{psnr(images[i:i + 1] / 255, clean[i:i + 1] / 255):.1f} dB"
            ax.set_title(label + value if i == 0 else value.strip(), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
