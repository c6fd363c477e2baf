"""The machine's reference speed: a large float32 matmul, in GFLOP/s, for the report's efficiency figure."""
import torch

from conftest import measure, synchronize

N = 2048


def test_matmul_2048(benchmark, device):
    a, b = torch.rand(N, N, device=device), torch.rand(N, N, device=device)

    def run():
        a.mm(b)
        synchronize(device)

    benchmark.group = f"matmul {device}"
    benchmark.extra_info.update(device=device, flops=2 * N ** 3)
    measure(benchmark, run, rounds=10, warmup_rounds=2)
