"""Mini-project 2: a Noise2Noise denoiser built on the from-scratch framework in ``others/``.

Every block is importable from here: ``from Miniproject_2.model import Conv2d, Sigmoid, ...`` (or
``from model import ...`` with this folder on ``sys.path``).
"""
import sys
import time
from pathlib import Path

from torch import arange, cat, empty


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
ReLU, LeakyReLU, Sigmoid, Sequential, MSE, SGD, Adam = (
    _framework.ReLU, _framework.LeakyReLU, _framework.Sigmoid, _framework.Sequential, _framework.MSE,
    _framework.SGD, _framework.Adam)
networks, serialization, checks = _framework.networks, _framework.serialization, _framework.checks

__all__ = ["Model", "Module", "Conv2d", "TransposeConv2d", "NearestUpsampling", "Upsampling", "ReLU", "LeakyReLU",
           "Sigmoid", "Sequential", "MSE", "SGD", "Adam"]

BESTMODEL = Path(__file__).resolve().parent / "bestmodel.pth"
ARCHITECTURE = {"name": "course", "width": 48}
RECIPE = {"optimizer": "adam", "lr": 1e-3, "batch_size": 32}
PREDICT_PIXELS = 2 ** 22  # images per predict chunk: at most this many input pixels (about 4 x 512 x 512 x 3)


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
        self._build(self.architecture)

    def _build(self, architecture):
        self.architecture = architecture
        self.net = networks.build(architecture).to(self.device)
        self.loss = MSE()
        lr, kind = self.recipe["lr"], self.recipe["optimizer"]
        self.optimizer = Adam(self.net.param(), lr=lr) if kind == "adam" else SGD(self.net.param(), lr=lr)

    def load_pretrained_model(self, path=None):
        """Load ``bestmodel.pth`` next to this file (or ``path``) into a network of the architecture it names."""
        architecture, tensors, _ = serialization.load(BESTMODEL if path is None else path)
        self._build(architecture)
        own = self.net.state_dict()
        mismatched = sorted(set(own) ^ set(tensors))
        if mismatched:
            raise serialization.ModelFileError(f"model file does not match architecture {architecture}: "
                                               f"keys {mismatched} are on one side only")
        self.net.load_state_dict({name: own[name].new_tensor(values).view(shape)
                                  for name, (shape, values) in tensors.items()})

    def save(self, path=None, meta=None):
        """Atomically write the network to ``path`` (default: ``bestmodel.pth`` next to this file)."""
        serialization.save(BESTMODEL if path is None else path, self.architecture, self.net.state_dict(), meta)

    def train(self, train_input, train_target, num_epochs):
        """Train on pairs of noisy images (Noise2Noise).

        Args:
            train_input, train_target: uint8 or float tensors in 0-255, two noisy copies of the same images.
            num_epochs: passes over the data.

        Shape:
            train_input, train_target: (N, 3, H, W) with H and W multiples of the network's size multiple.
        """
        checks.check_int("num_epochs", num_epochs, 0)
        self._check_images("train_input", train_input)
        self._check_images("train_target", train_target)
        if tuple(train_input.shape) != tuple(train_target.shape):
            raise ValueError(f"train_input and train_target must have the same shape, got "
                             f"{tuple(train_input.shape)} and {tuple(train_target.shape)}")
        n, batch = train_input.shape[0], self.recipe["batch_size"]
        self.net.train()
        for _ in range(num_epochs):
            started, order = time.monotonic(), empty(n).uniform_().argsort()
            for first in range(0, n, batch):
                index = order[first:first + batch].to(train_input.device)
                x, y = (self._to_unit(t.index_select(0, index)) for t in (train_input, train_target))
                loss = self._step(x, y)
                self.progress(min(first + batch, n), n, loss, started)

    def _step(self, x, y):
        self.optimizer.zero_grad()
        loss = self.loss.forward(self.net.forward(x), y)
        self.net.backward(self.loss.backward())
        self.optimizer.step()
        return loss.item()

    def predict(self, test_input):
        """Denoise images.

        Args:
            test_input: uint8 or float tensor in 0-255, on any device.

        Shape:
            (N, 3, H, W) -> float tensor (N, 3, H, W) in [0, 255], on the input's device.
        """
        self._check_images("test_input", test_input)
        n, _, h, w = test_input.shape
        self.net.eval()
        chunk = max(1, PREDICT_PIXELS // (3 * h * w))
        outputs = [self._denoise(self._to_unit(test_input[i:i + chunk])) for i in range(0, n, chunk)]
        self.net.train()
        if not outputs:
            return empty((0, 3, h, w), device=test_input.device)
        out = cat(outputs) if len(outputs) > 1 else outputs[0]
        return out.mul_(255).clamp_(0, 255).to(test_input.device)

    def _denoise(self, x):
        """Run the network on [0, 1] images of any size, padding to its size multiple by edge replication."""
        multiple = networks.size_multiple(self.architecture)
        _, _, h, w = x.shape
        rows = arange(-((-h) // multiple) * multiple, device=x.device).clamp(max=h - 1)
        cols = arange(-((-w) // multiple) * multiple, device=x.device).clamp(max=w - 1)
        padded = x.index_select(2, rows).index_select(3, cols)
        return self.net.forward(padded)[:, :, :h, :w]

    def _to_unit(self, images):
        """Return ``images`` (0-255) as float32 in [0, 1] on the model's device."""
        return images.to(self.device).float().div(255)

    @staticmethod
    def _check_images(name, images):
        if not checks.is_tensor(images):
            raise TypeError(f"{name} must be a tensor of images, got {type(images).__name__}")
        if images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(f"{name} must have shape (N, 3, H, W), got {tuple(images.shape)}")
