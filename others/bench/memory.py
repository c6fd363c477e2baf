"""Peak memory of one training step, measured in a fresh process per implementation (ru_maxrss)."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, resource, sys
sys.path.insert(0, {root!r})
import torch
from Miniproject_2.others.denoiser import networks
from others.twin import ScratchStep, TwinStep, twin_of
impl, width, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.manual_seed(0)
net = networks.build({{"name": "course", "width": width}})
step = ScratchStep(net) if impl == "scratch" else TwinStep(twin_of(net, {{"name": "course", "width": width}}))
x, y = torch.rand(batch, 3, 32, 32), torch.rand(batch, 3, 32, 32)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for _ in range(3):
    step(x, y)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"before_kib": before, "peak_kib": after}}))
"""


def peak_step_memory(impl, width, batch, probes=1):
    """Return {"before_kib", "peak_kib", "step_kib"}: resident memory before and after three steps, and the rise;
    with several ``probes`` (fresh processes), the one whose rise is the median (the same code's rise moved by
    up to 20 % from process to process here), plus "probes_kib", every rise."""
    records = []
    for _ in range(probes):
        done = subprocess.run([sys.executable, "-c", PROBE.format(root=str(ROOT)), impl, str(width), str(batch)],
                              capture_output=True, text=True, check=True)
        record = json.loads(done.stdout.strip().splitlines()[-1])
        record["step_kib"] = record["peak_kib"] - record["before_kib"]
        records.append(record)
    records.sort(key=lambda r: r["step_kib"])
    middle = dict(records[len(records) // 2])
    if probes > 1:
        middle["probes_kib"] = [r["step_kib"] for r in records]
    return middle


if __name__ == "__main__":
    print(peak_step_memory(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
