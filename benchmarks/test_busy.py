"""Model.train with the shipped network on an idle machine and with one core held by a busy loop the benchmark starts
and stops itself: ours vs the PyTorch twin, at torch's default thread count (every core) and at the count the
scripts' governor chooses (``others/threads.py``, what bin/train, test.py and bin/rehearse use by default)."""
import subprocess
import sys
import time

import pytest
import torch

from conftest import ALLOCATOR, measure
from Miniproject_2.model import ARCHITECTURE, Model
from others import threads
from others.twin import TwinModel

IMAGES = 256
BUSY_LOOP = "while True: pass"


@pytest.fixture(params=["idle", "busy"])
def load(request):
    """Nothing, or a process spinning on one core for the length of the benchmark."""
    if request.param == "idle":
        yield request.param
        return
    spinner = subprocess.Popen([sys.executable, "-c", BUSY_LOOP])
    time.sleep(0.5)  # let the scheduler give it its core before anything is measured
    try:
        yield request.param
    finally:
        spinner.kill()
        spinner.wait()


@pytest.mark.parametrize("impl", ["scratch", "twin"])
@pytest.mark.parametrize("choice", ["every-core", "governed"])
def test_busy(benchmark, choice, load, impl):
    if Model().device != "cpu":
        pytest.skip("thread counts matter on the CPU only")
    if ALLOCATOR != "default":
        pytest.skip("measured with glibc as it comes only: the load, not the allocator, is the question here")
    was = torch.get_num_threads()
    torch.manual_seed(0)
    model = (Model if impl == "scratch" else TwinModel)()
    model.progress = lambda *args: None
    x = torch.randint(0, 256, (IMAGES, 3, 32, 32), dtype=torch.uint8)
    model.train(x[:64], x[:64].flip(0), 1)  # plans and scratch memory made before the clock starts
    governor = None
    if choice == "governed":
        governor = threads.govern(model)
    else:
        torch.set_num_threads(threads.cores())

    def run():
        model.train(x, x.flip(0), 1)

    condition = f"{load}, {choice}"
    benchmark.group = f"Model.train under load: {condition}"
    benchmark.extra_info.update(impl=impl, device="cpu", condition=condition, batch=model.recipe["batch_size"],
                                images=IMAGES, architecture=ARCHITECTURE)
    try:
        measure(benchmark, run, calls=1, rounds=3, warmup_rounds=0)
        if governor is not None:
            benchmark.extra_info["governor_windows"] = [[count, round(rate)] for count, rate in governor.history]
    finally:
        torch.set_num_threads(was)
