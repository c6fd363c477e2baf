"""The benchmark report: Markdown with PNG plots from a pytest-benchmark JSON file.

Reproduces the seed report's Figure 4 (training time against batch size, ours vs PyTorch, for 10 epochs of
11,000 images, scaled from measured step times) and adds the speed ratio per batch size and width.
"""
import json
import os
import platform
import re
from pathlib import Path

EPOCHS, IMAGES = 10, 11000  # Figure 4 of the seed report


def cpu_model(cpuinfo=Path("/proc/cpuinfo")):
    """The CPU's model name ("AMD EPYC", "Intel(R) Xeon(R) Processor"), or "" where the system does not say."""
    try:
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name") and ":" in line:
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def model_slug(model):
    """A file-name part for a CPU model: its first words, lower case, trademarks and "CPU"/"Processor" dropped.

    "Intel(R) Xeon(R) Processor" -> "intel-xeon"; "AMD EPYC 7B13 64-Core Processor" -> "amd-epyc-7b13-64-core".
    """
    plain = re.sub(r"\((R|TM|r|tm)\)|\b(CPU|Processor)\b|@.*", " ", model).lower()
    words = [re.sub(r"[^a-z0-9-]", "", word) for word in plain.split()]
    return "-".join([word for word in words if word][:4])


def device_label(cuda_name=None, model=None):
    """Name of a benchmark run's files: the CUDA device's name, else the CPU's cores, architecture and model.

    Runs on two machines that differ only in their CPU (this project's 2-core machines were an Intel Xeon on some
    days and an AMD EPYC on others) keep separate files.
    """
    if cuda_name:
        return "cuda-" + cuda_name.replace(" ", "_")
    slug = model_slug(cpu_model() if model is None else model)
    return f"cpu-{os.cpu_count()}core-{platform.machine()}" + (f"-{slug}" if slug else "")


def load(path):
    """Return {(kind, device, width, batch, impl): mean seconds} and the extra_info of every benchmark."""
    data = json.loads(Path(path).read_text())
    times, info = {}, {}
    for bench in data["benchmarks"]:
        extra = bench["extra_info"]
        kind = bench["name"].split("[")[0].replace("test_", "")
        key = (kind, extra.get("device"), extra.get("width"), extra.get("batch"), extra.get("impl"))
        times[key], info[key] = bench["stats"]["median"], extra
    return times, info, data.get("machine_info", {})


def training_table(times, device):
    """Rows (width, batch, ours img/s, twin img/s, ratio) of the training-step benchmarks on ``device``."""
    pairs = sorted((width, batch) for kind, dev, width, batch, impl in times
                   if kind == "train_step" and dev == device and impl == "scratch")
    rows = []
    for width, batch in pairs:
        ours, twin = (times.get(("train_step", device, width, batch, impl)) for impl in ("scratch", "twin"))
        if twin is not None:
            rows.append((width, batch, batch / ours, batch / twin, twin / ours))
    return rows


def figure4(rows, path):
    """Plot the time of 10 epochs of 11,000 images against batch size, one panel per width, and the ratio."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    widths = sorted({r[0] for r in rows})
    fig, axes = plt.subplots(1, len(widths) + 1, figsize=(4.2 * (len(widths) + 1), 3.6))
    for ax, width in zip(axes, widths):
        sel = [r for r in rows if r[0] == width]
        batches = [r[1] for r in sel]
        ax.plot(batches, [EPOCHS * IMAGES / r[2] for r in sel], "o-", label="from scratch (ours)")
        ax.plot(batches, [EPOCHS * IMAGES / r[3] for r in sel], "s--", label="PyTorch autograd (twin)")
        ax.set(xscale="log", yscale="log", xlabel="batch size", ylabel=f"seconds for {EPOCHS} epochs of {IMAGES}",
               title=f"C = {width}")
        ax.legend(fontsize=8)
    ratio_ax = axes[-1]
    for width in widths:
        sel = [r for r in rows if r[0] == width]
        ratio_ax.plot([r[1] for r in sel], [r[4] for r in sel], "o-", label=f"C = {width}")
    ratio_ax.axhline(1.0, color="grey", lw=0.8)
    ratio_ax.axhline(1.5, color="red", lw=0.8, ls=":", label="target 1.5x")
    ratio_ax.set(xscale="log", xlabel="batch size", ylabel="speed ours / PyTorch", title="speed ratio")
    ratio_ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def model_train_lines(times, info):
    """Markdown rows for the Model.train benchmark (the shipped network), scaled to 50,000 pairs."""
    keys = sorted(k for k in times if k[0] == "model_train" and k[4] == "scratch")
    if not keys:
        return []
    lines = ["## Model.train with the shipped network, one epoch of 50,000 pairs (scaled from 1,024)", "",
             f"Network: `{info[keys[0]]['architecture']}`, batch {keys[0][3]}, same loop for both.", "",
             "| device | ours (s) | PyTorch twin (s) | ours / PyTorch speed |", "|---|---|---|---|"]
    for key in keys:
        ours, twin = times[key], times.get(key[:4] + ("twin",))
        scale = 50000 / info[key]["images"]
        theirs = "" if twin is None else f"{twin * scale:.0f} | {twin / ours:.2f} |"
        lines.append(f"| {key[1]} | {ours * scale:.0f} | {theirs}")
    return lines + [""]


def write(json_path, out_md, memory=None):
    """Write the Markdown report (and its PNG) for one benchmark JSON; return the Markdown text."""
    times, info, machine = load(json_path)
    devices = sorted({key[1] for key in times if key[0] == "train_step"})
    lines = [f"# Benchmark report: `{Path(json_path).name}`", "",
             f"Machine: {machine.get('cpu', {}).get('brand_raw', machine.get('processor', '?'))}, "
             f"{machine.get('cpu', {}).get('count', '?')} logical cores; Python {machine.get('python_version', '?')}.",
             "Medians of pytest-benchmark rounds, both implementations measured in the same run.", ""]
    for device in devices:
        rows = training_table(times, device)
        png = Path(out_md).with_name(Path(out_md).stem + f"-{device}-figure4.png")
        figure4(rows, png)
        lines += [f"## Training step on {device} (course network, 32x32 images)", "",
                  f"![Figure 4]({png.name})", "",
                  "| C | batch | ours img/s | PyTorch img/s | ours / PyTorch |", "|---|---|---|---|---|"]
        lines += [f"| {w} | {b} | {o:,.0f} | {t:,.0f} | {r:.2f} |" for w, b, o, t, r in rows]
        if rows:
            lines += ["", f"Ratio range: {min(r[4] for r in rows):.2f} to {max(r[4] for r in rows):.2f}; "
                      f"{sum(r[4] >= 1.5 for r in rows)} of {len(rows)} configurations at 1.5x or more.", ""]
        matmul = times.get(("matmul_2048", device, None, None, None))
        if matmul and rows:
            peak = info[("matmul_2048", device, None, None, None)]["flops"] / matmul / 1e9
            best = max(rows, key=lambda r: (r[1], r[0]))
            key = ("train_step", device, best[0], best[1], "scratch")
            executed = info[key]["flops"] / times[key] / 1e9
            lines += [f"Large float32 matmul (2048^3): {peak:.0f} GFLOP/s. Training step at C={best[0]}, "
                      f"batch {best[1]}: {executed:.0f} GFLOP/s counted as PyTorch's dense convolutions "
                      f"(`others/flops.py`), {100 * executed / peak:.0f} % of the matmul.", ""]
        predict = [(w, times[("predict", device, w, 100, "scratch")], times[("predict", device, w, 100, "twin")])
                   for w in sorted({k[2] for k in times if k[0] == "predict" and k[1] == device})]
        if predict:
            lines += ["Predict, batch 100:", "", "| C | ours img/s | PyTorch img/s | ratio |", "|---|---|---|---|"]
            lines += [f"| {w} | {100 / o:,.0f} | {100 / t:,.0f} | {t / o:.2f} |" for w, o, t in predict]
            lines.append("")
    lines += model_train_lines(times, info)
    if memory:
        lines += ["## Peak memory of a training step (batch 256, C = 48, resident set rise over three steps)", "",
                  "| implementation | MiB | every fresh process (MiB) |", "|---|---|---|"]
        lines += [f"| {impl} | {rec['step_kib'] / 1024:.0f} | "
                  f"{', '.join(f'{k / 1024:.0f}' for k in rec.get('probes_kib', [rec['step_kib']]))} |"
                  for impl, rec in memory.items()]
        lines.append("")
    text = "\n".join(lines)
    Path(out_md).write_text(text)
    return text
