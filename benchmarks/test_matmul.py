"""The machine's reference speeds for the report's efficiency figures, in GFLOP/s: a large float32 matmul (the
fastest product our allowed operations reach) and PyTorch's own convolution at a large shape (the library the
twin's layers run on: oneDNN on the CPU, cuDNN on CUDA)."""
import torch
import torch.nn.functional as F

from conftest import measure, synchronize

N = 2048
CONV_BATCH, CONV_CHANNELS, CONV_SIZE = 16, 512, 16  # 3x3, padding 1: 9.7 GFLOP per call


def test_matmul_2048(benchmark, device):
    a, b = torch.rand(N, N, device=device), torch.rand(N, N, device=device)

    def run():
        a.mm(b)
        synchronize(device)

    benchmark.group = f"matmul {device}"
    benchmark.extra_info.update(device=device, flops=2 * N ** 3)
    measure(benchmark, run, rounds=10, warmup_rounds=2)


def test_conv_reference(benchmark, device, monkeypatch):
    c, size = CONV_CHANNELS, CONV_SIZE
    x = torch.rand(CONV_BATCH, c, size, size, device=device)
    weight = torch.rand(c, c, 3, 3, device=device)
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)  # float32 arithmetic, as the matmul's

    def run():
        F.conv2d(x, weight, padding=1)
        synchronize(device)

    benchmark.group = f"conv reference {device}"
    benchmark.extra_info.update(device=device, flops=2 * CONV_BATCH * c * c * 9 * size * size,
                                shape=[CONV_BATCH, c, size, size])
    measure(benchmark, run, rounds=6, warmup_rounds=1)
