"""Mini-project 2: a Noise2Noise denoiser built on the from-scratch framework in ``others/``.

Every block is importable from here: ``from Miniproject_2.model import Conv2d, Sigmoid, ...`` (or
``from model import ...`` with this folder on ``sys.path``).
"""
import math
import sys
import time
from pathlib import Path

from torch import cat, empty


def _load_framework():
    """Return this folder's ``others`` package, whether this file is imported from its package or alone."""
    if __package__:
        from . import others
        return others
    # Imported as a top-level module (``from model import ...`` with this folder on sys.path): load
    # ``others`` as a package of its own so its relative imports work, whatever else is on sys.path.
    import importlib.util
    folder = Path(__file__).resolve().parent / "others"
    name = "_miniproject2_others"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, folder / "__init__.py",
                                                      submodule_search_locations=[str(folder)])
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


_framework = _load_framework()
Module, Conv2d, TransposeConv2d, NearestUpsampling, Upsampling = (
    _framework.Module, _framework.Conv2d, _framework.TransposeConv2d, _framework.NearestUpsampling,
    _framework.Upsampling)
ReLU, LeakyReLU, Sigmoid, Sequential, Identity, Concat, Add, MSE, SGD, Adam, CosineAnnealingLR = (
    _framework.ReLU, _framework.LeakyReLU, _framework.Sigmoid, _framework.Sequential, _framework.Identity,
    _framework.Concat, _framework.Add, _framework.MSE, _framework.SGD, _framework.Adam, _framework.CosineAnnealingLR)
checks, workspace = _framework.checks, _framework.kernels.workspace
_denoiser = _framework.denoiser
networks, serialization, augment, snapshot = _denoiser.networks, _denoiser.serialization, _denoiser.augment, _denoiser.snapshot
images, guard, averaging, weighting = _denoiser.images, _denoiser.guard, _denoiser.averaging, _denoiser.weighting

__all__ = ["Model", "Module", "Conv2d", "TransposeConv2d", "NearestUpsampling", "Upsampling", "ReLU", "LeakyReLU",
           "Sigmoid", "Sequential", "Identity", "Concat", "Add", "MSE", "SGD", "Adam", "CosineAnnealingLR"]

BESTMODEL = Path(__file__).resolve().parent / "bestmodel.pth"
ARCHITECTURE = {"name": "unet", "widths": [24, 48, 64, 64]}  # the course network: {"name": "course", "width": 48}
# finetune_lr: the step size after load_pretrained_model(), where train() also ends at the running mean of the
# weights it went through (docs/model.md).
# color_augment: each batch in a random channel order, and as negatives half the time (``augment.recolor``); exact for
# noise independent across channels and symmetric about the clean value. load_pretrained_model() takes it from the
# model file's recipe (False when the file has none).
# self_ensemble: predict averages the network over this many transforms (1 to 8 symmetries of the square, or with
# color_augment 1 to 16: each symmetry plain and as a negative, ``augment.ensemble``).
# spike_guard: a batch whose loss exceeds this many times the running mean of the loss (once SPIKE_AFTER steps have
# set that mean) puts back the weights and optimizer state of a snapshot SNAPSHOT_EVERY + 1 to 2 * SNAPSHOT_EVERY
# updates old and halves the rate (``Model._roll_back``); 0 or None turns it off.
# noise_weighting: each image's squared error weighted by (25/255 / sigma_hat) ** noise_weighting, sigma_hat its
# noise level estimated from the pair (``weighting.noise_weights``), so that low-noise images count in a batch of
# mixed levels; 0 weights all alike. load_pretrained_model() takes it from the model file's recipe (0 without one).
# The shipped model keeps 0: trained with 1 it was better at every level but lost PSNR in the course's one-epoch check
# on the stand-in grading set (docs/model.md, "Weighting the noise levels").
RECIPE = {"optimizer": "adam", "lr": 1e-3, "schedule": "cosine", "min_lr": 0.0, "augment": True,
          "color_augment": True, "finetune_lr": 3e-5, "batch_size": 8, "self_ensemble": 4, "spike_guard": 10.0,
          "noise_weighting": 0.0}
PREDICT_PIXELS = 2 ** 20  # images per predict chunk: at most this many input values (341 images of 32x32)
SPIKE_AFTER = 100  # steps of the running mean of the loss before the spike guard (RECIPE) may fire
SNAPSHOT_EVERY = 250  # updates between snapshots (``snapshot.Snapshots``) for the spike guard and a NaN loss


def pick_device():
    """Return "cuda" when a CUDA device can allocate, else "cpu" (using only the allowed imports)."""
    try:
        empty(1, device="cuda")
        return "cuda"
    except (AssertionError, RuntimeError):
        return "cpu"


def report(done, total, loss, started):
    """Default progress reporter: one line on stderr at most every few seconds and at the end."""
    now = time.monotonic()
    if done == total or now - report.last >= 5:
        report.last = now
        rate = done / max(now - started, 1e-9)
        print(f"train: {done}/{total} images, loss {loss:.5f}, {rate:.0f} img/s", file=sys.stderr, flush=True)


report.last = 0.0


class Model:
    """The Noise2Noise denoiser the course grader drives.

    Inputs and outputs of ``predict`` are in 0-255; the network works on [0, 1].
    """

    def __init__(self):
        self.device = pick_device()
        self.architecture = dict(ARCHITECTURE)
        self.recipe = dict(RECIPE)
        self.progress = report
        self._use(self.architecture, networks.build(self.architecture).to(self.device), self.recipe["lr"])

    def _use(self, architecture, net, lr):
        """Adopt ``net`` (described by ``architecture``) with a fresh loss and optimizer at rate ``lr``."""
        # The images need no gradient: the first layers skip dL/dinput, as autograd does for data.
        self.architecture, self.net, self.loss = architecture, net.requires_input_grad_(False), MSE()
        self._snapshots = snapshot.Snapshots(SNAPSHOT_EVERY)
        self._average = False  # fine-tuning a loaded model: end each train() at the mean of its weights
        self._losses = guard.LossWatch()  # running mean of the loss, for ``_spiked``
        self.rollbacks = []  # one entry per return to a snapshot by ``_roll_back``
        self.schedule = None  # the learning-rate schedule in progress, stepped once per batch
        self._new_optimizer(lr)

    def _new_optimizer(self, lr):
        """Start the recipe's optimizer afresh at learning rate ``lr``."""
        kind = self.recipe["optimizer"]
        self.optimizer = Adam(self.net.param(), lr=lr) if kind == "adam" else SGD(self.net.param(), lr=lr)

    def plan(self, num_epochs, num_images):
        """Spread the recipe's learning-rate schedule over ``num_epochs`` epochs of ``num_images`` images.

        For callers that train one epoch per ``train()`` call (bin/train); without it, each ``train()`` call
        runs a whole schedule over its own epochs. Fine-tuning a loaded model keeps its constant rate.
        """
        if self.recipe["schedule"] == "cosine" and not self._average and num_epochs:
            self.optimizer.lr = self.recipe["lr"]
            steps = num_epochs * -(-num_images // self.recipe["batch_size"])
            self.schedule = CosineAnnealingLR(self.optimizer, steps, self.recipe["min_lr"])

    def configure(self, architecture=None, **recipe):
        """Start afresh: a new network of ``architecture`` (default: the current one), recipe entries changed.

        Args:
            architecture: a description such as ``{"name": "unet", "widths": [16, 48, 64]}``.
            **recipe: entries of ``RECIPE`` to change, e.g. ``lr=2e-3, batch_size=64``.
        """
        unknown = sorted(set(recipe) - set(RECIPE))
        if unknown:
            raise ValueError(f"unknown recipe entries {unknown}; known: {sorted(RECIPE)}")
        self.recipe.update(recipe)
        description = dict(self.architecture if architecture is None else architecture)
        self._use(description, networks.build(description).to(self.device), self.recipe["lr"])

    def load_pretrained_model(self, path=None):
        """Load ``bestmodel.pth`` next to this file (or ``path``) into a network of the architecture it names.

        The current network is replaced only once the file has loaded completely.
        """
        architecture, tensors, meta = serialization.load(BESTMODEL if path is None else path)
        net = networks.build(architecture).to(self.device)
        own = net.state_dict()
        mismatched = sorted(set(own) ^ set(tensors))
        if mismatched:
            raise serialization.ModelFileError(f"model file does not match architecture {architecture}: "
                                               f"keys {mismatched} are on one side only")
        net.load_state_dict({name: own[name].new_tensor(values).view(shape) for name, (shape, values) in tensors.items()})
        # Negatives in predict's ensemble (and in fine-tuning) only for a network trained on them.
        recipe = meta.get("recipe") if isinstance(meta, dict) else None
        recipe = recipe if isinstance(recipe, dict) else {}
        self.recipe["color_augment"] = recipe.get("color_augment") is True
        power = recipe.get("noise_weighting")
        self.recipe["noise_weighting"] = float(power) if isinstance(power, (int, float)) else 0.0
        self._use(architecture, net, self.recipe["finetune_lr"])
        self._average = True

    def save(self, path=None, meta=None):
        """Atomically write the network to ``path`` (default: ``bestmodel.pth`` next to this file), with ``meta``
        and the recipe it was trained by (unless ``meta`` gives one)."""
        meta = {"recipe": dict(self.recipe), **(meta or {})}
        serialization.save(BESTMODEL if path is None else path, self.architecture, self.net.state_dict(), meta)

    def train(self, train_input, train_target, num_epochs):
        """Train on pairs of noisy images (Noise2Noise).

        Args:
            train_input, train_target: tensors of the same shape and dtype (uint8 or float) in 0-255, two
                noisy copies of the same images, on any device.
            num_epochs: passes over the data (0 does nothing).

        Shape:
            train_input, train_target: (N, 3, H, W), any H and W.

        A batch whose loss exceeds ``recipe["spike_guard"]`` times the running mean of the loss puts back an
        earlier snapshot of the weights and halves the rate (``_roll_back``; each event is listed in
        ``self.rollbacks``).

        Raises:
            FloatingPointError: the loss stopped being finite; the weights and optimizer state are those of the
                older snapshot (``SNAPSHOT_EVERY + 1`` to ``2 * SNAPSHOT_EVERY`` updates before).
        """
        checks.check_int("num_epochs", num_epochs, 0)
        self._check_images("train_input", train_input)
        self._check_images("train_target", train_target)
        if tuple(train_input.shape) != tuple(train_target.shape) or train_input.dtype != train_target.dtype:
            raise ValueError(f"train_input and train_target must have the same shape and dtype, got "
                             f"{tuple(train_input.shape)} {train_input.dtype} and "
                             f"{tuple(train_target.shape)} {train_target.dtype}")
        n, batch = train_input.shape[0], self.recipe["batch_size"]
        if self.schedule is None:
            self.plan(num_epochs, n)
        self.net.train()
        mean = averaging.RunningMean(p for p, _ in self.net.param()) if self._average and num_epochs else None
        for _ in range(num_epochs):
            started, order = time.monotonic(), empty(n).uniform_().argsort().to(train_input.device)
            for first in range(0, n, batch):
                index = order[first:first + batch]
                x, y = (self._to_unit(t.index_select(0, index), name)
                        for t, name in ((train_input, "train_input"), (train_target, "train_target")))
                if self.recipe["augment"]:
                    symmetry = augment.random_symmetry()
                    x, y = augment.dihedral(x, symmetry), augment.dihedral(y, symmetry)
                if self.recipe["color_augment"]:
                    channels, invert = augment.random_color(x.shape[1])
                    x, y = augment.recolor(x, channels, invert), augment.recolor(y, channels, invert)
                loss = self._step(x, y)
                self._advance_schedule()
                if mean is not None:  # running mean of the loaded weights and every step's weights
                    mean.add()
                self.progress(min(first + batch, n), n, loss, started)
        if mean is not None:
            mean.apply()
        workspace.SHARED.clear()  # the convolutions' scratch memory is not kept between calls

    def _advance_schedule(self):
        if self.schedule is not None:
            self.schedule.step()
            if self.schedule.finished():
                self.schedule = None

    def _step(self, x, y):
        """One optimizer step on a batch in [0, 1]; return the loss before the step."""
        h, w = x.shape[2:]
        out = self.net.forward(self._pad(x))
        loss = self.loss.forward(out[:, :, :h, :w], y).item()
        if not math.isfinite(loss):
            self._snapshots.restore(self.net, self.optimizer)
            raise FloatingPointError(f"training stopped: the loss became {loss}; the weights from a snapshot "
                                     f"at most {2 * SNAPSHOT_EVERY} updates earlier are put back (try a smaller "
                                     "learning rate)")
        if self._spiked(loss):
            self._roll_back(loss)
            return loss
        grad = out.new_zeros(out.shape)  # the crop's adjoint: zeros where the padding was
        grad[:, :, :h, :w] = self.loss.backward()
        if self.recipe["noise_weighting"]:  # descend the mean of w_n * mse_n (the loss reported stays unweighted)
            grad[:, :, :h, :w] *= weighting.noise_weights(x, y, self.recipe["noise_weighting"])
        self.optimizer.zero_grad()
        self.net.backward(grad)
        self._snapshots.take(self.net, self.optimizer)
        self.optimizer.step()
        return loss

    def _spiked(self, loss):
        """True when ``loss`` exceeds ``recipe["spike_guard"]`` times the running mean of the losses before it
        (which it joins unless it spiked; ``guard.LossWatch``).

        Without the guard, bin/train --seed 2 went from a loss of 0.011 to 0.151 in one step, then 2e7, and never
        came back; the PyTorch twin does the same from the same state (docs/model.md, "Divergence").
        """
        return self._losses.spiked(loss, self.recipe["spike_guard"], SPIKE_AFTER)

    def _roll_back(self, loss):
        """Go back to the older snapshot (weights and moments) and halve the learning rate; skip this batch.

        The updates before this batch moved the weights to where its loss is many times the usual: Adam near the
        edge of stability, not a wrong gradient (docs/model.md, "Divergence"). The smaller rate keeps the next steps
        from sliding there again; the data order and the schedule go on from here.
        """
        self._snapshots.restore(self.net, self.optimizer)
        if self.schedule is not None:
            self.schedule.base_lr /= 2
            self.schedule.eta_min /= 2
            self.optimizer.lr = self.schedule.get_lr()
        else:
            self.optimizer.lr /= 2
        self.rollbacks.append({"loss": loss, "mean": self._losses.mean, "lr": self.optimizer.lr})
        print(f"train: loss {loss:.4g} is over {self.recipe['spike_guard']:g} times its running mean "
              f"{self._losses.mean:.4g}: the weights of an earlier snapshot are back and the learning rate halved "
              f"(now {self.optimizer.lr:.3g})", file=sys.stderr, flush=True)

    def predict(self, test_input):
        """Denoise images.

        Args:
            test_input: uint8, other integer or floating tensor in 0-255, on any device, any strides. Values
                outside 0-255 are clamped to it; NaN or infinite values are refused.

        Shape:
            (N, 3, H, W) -> float32 tensor (N, 3, H, W) in [0, 255], on the input's device.
        """
        self._check_images("test_input", test_input)
        n, _, h, w = test_input.shape
        self.net.eval()
        try:
            chunk = max(1, PREDICT_PIXELS // (3 * h * w))
            outputs = [self._denoise(self._to_unit(test_input[i:i + chunk], "test_input"))
                       for i in range(0, n, chunk)]
        finally:
            self.net.train()
            workspace.SHARED.clear()
        if not outputs:
            return empty((0, 3, h, w), device=test_input.device)
        out = cat(outputs) if len(outputs) > 1 else outputs[0]
        return out.mul_(255).clamp_(0, 255).to(test_input.device)

    def _denoise(self, x):
        """The network's output for [0, 1] images, averaged over the recipe's ``self_ensemble`` transforms
        (``augment.average_over_symmetries``, with negatives when trained on them; 1: the plain output)."""
        def network(moved):
            return self.net.forward(self._pad(moved))[:, :, :moved.shape[2], :moved.shape[3]]
        return augment.average_over_symmetries(network, x, self.recipe["self_ensemble"], self.ensemble_white())

    def ensemble_white(self, white=1.0):
        """``white`` when the self-ensemble also uses negatives (the recipe's colour augmentation taught the network
        them), else None: the ``white`` argument of ``augment.average_over_symmetries``."""
        return white if self.recipe["color_augment"] else None

    def _pad(self, x):
        """Pad [0, 1] images by edge replication to the network's size multiple (bottom and right)."""
        return images.pad_to_multiple(x, networks.size_multiple(self.architecture))

    def _to_unit(self, data, name):
        """Return ``data`` (0-255) as float32 in [0, 1] on the model's device, clamped; refuse NaN and inf."""
        return images.to_unit(data, name, self.device)

    _check_images = staticmethod(images.check_images)
