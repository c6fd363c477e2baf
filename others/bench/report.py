"""The benchmark report: Markdown with PNG plots from a pytest-benchmark JSON file.

Reproduces the seed report's Figure 4 (training time against batch size, ours vs PyTorch, for 10 epochs of
11,000 images, scaled from measured step times) and adds the speed ratio per batch size and width. Given the
same sweep run with no page faults (``allocator.py``), every table shows that run's figures beside the first's.
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
    """Return {(kind, device, width, batch, impl): median seconds}, the extra_info of every benchmark, and the
    machine information; all empty for ``path`` None. A layer's benchmark has its label in the width's place, one
    under load (``benchmarks/test_busy.py``) its condition ("busy, governed")."""
    if path is None:
        return {}, {}, {}
    data = json.loads(Path(path).read_text())
    times, info = {}, {}
    for bench in data["benchmarks"]:
        extra = bench["extra_info"]
        kind = bench["name"].split("[")[0].replace("test_", "")
        width = extra.get("width", extra.get("layer", extra.get("condition")))
        key = (kind, extra.get("device"), width, extra.get("batch"), extra.get("impl"))
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


def faults(info, key):
    """Page faults per call of ours and of the twin, "ours / twin", or "" where the run did not count them."""
    counts = [info.get(key[:4] + (impl,), {}).get("faults_per_call") for impl in ("scratch", "twin")]
    return "" if None in counts else f"{counts[0]:,.0f} / {counts[1]:,.0f}"


def figure4(rows, path, steady=()):
    """Plot the time of 10 epochs of 11,000 images against batch size, one panel per width, and the ratio;
    ``steady``: the rows of the run without page faults, drawn in lighter lines."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    widths = sorted({r[0] for r in rows})
    fig, axes = plt.subplots(1, len(widths) + 1, figsize=(4.2 * (len(widths) + 1), 3.6))
    for ax, width in zip(axes, widths):
        for source, note, alpha in ((rows, "", 1.0), (steady, ", no page faults", 0.45)):
            sel = [r for r in source if r[0] == width]
            if sel:
                batches = [r[1] for r in sel]
                ax.plot(batches, [EPOCHS * IMAGES / r[2] for r in sel], "o-", color="C0", alpha=alpha,
                        label="from scratch (ours)" + note)
                ax.plot(batches, [EPOCHS * IMAGES / r[3] for r in sel], "s--", color="C1", alpha=alpha,
                        label="PyTorch autograd (twin)" + note)
        ax.set(xscale="log", yscale="log", xlabel="batch size", ylabel=f"seconds for {EPOCHS} epochs of {IMAGES}",
               title=f"C = {width}")
        ax.legend(fontsize=7)
    ratio_ax = axes[-1]
    for index, width in enumerate(widths):
        for source, style, note in ((rows, "o-", ""), (steady, "o:", ", no page faults")):
            sel = [r for r in source if r[0] == width]
            if sel:
                ratio_ax.plot([r[1] for r in sel], [r[4] for r in sel], style, color=f"C{index + 2}",
                              label=f"C = {width}{note}")
    ratio_ax.axhline(1.0, color="grey", lw=0.8)
    ratio_ax.axhline(1.5, color="red", lw=0.8, ls=":", label="target 1.5x")
    ratio_ax.set(xscale="log", xlabel="batch size", ylabel="speed ours / PyTorch", title="speed ratio")
    ratio_ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def training_lines(run, steady, device, png):
    """Markdown for the training-step benchmarks on ``device`` (the ratio table, its summary, the figure), and
    the ``training_table`` rows of ``run`` and of ``steady``."""
    rows = training_table(run[0], device)
    steady_rows = training_table(steady[0], device)
    figure4(rows, png, steady_rows)
    by_config = {(r[0], r[1]): r for r in steady_rows}
    head = "| C | batch | ours img/s | PyTorch img/s | ours / PyTorch | page faults per step, ours / PyTorch |"
    lines = [f"## Training step on {device} (course network, 32x32 images)", "", f"![Figure 4]({png.name})", ""]
    lines += [head + (" no page faults: ours img/s | PyTorch img/s | ours / PyTorch |" if steady_rows else ""),
              "|---" * (6 + 3 * bool(steady_rows)) + "|"]
    for w, b, o, t, r in rows:
        line = f"| {w} | {b} | {o:,.0f} | {t:,.0f} | {r:.2f} | {faults(run[1], ('train_step', device, w, b))} |"
        if steady_rows:
            other = by_config.get((w, b))
            line += " | | |" if other is None else f" {other[2]:,.0f} | {other[3]:,.0f} | {other[4]:.2f} |"
        lines.append(line)
    for sel, note in ((rows, ""), (steady_rows, "No page faults: ")):
        if sel:
            lines += ["", f"{note}Ratio range: {min(r[4] for r in sel):.2f} to {max(r[4] for r in sel):.2f}; "
                      f"{sum(r[4] >= 1.5 for r in sel)} of {len(sel)} configurations at 1.5x or more."]
    return lines + [""], rows, steady_rows


def reference_rate(times, info, kind, device):
    """GFLOP/s of the reference benchmark ``kind`` (``matmul_2048``, ``conv_reference``) on ``device``, or None."""
    key = (kind, device, None, None, None)
    return info[key]["flops"] / times[key] / 1e9 if key in times else None


def efficiency_line(times, info, device, rows, note=""):
    """The matmul's GFLOP/s and the largest training step's, as counted by ``others/bench/flops.py``, and PyTorch's own
    convolution's where the run measured it."""
    peak = reference_rate(times, info, "matmul_2048", device)
    if not (peak and rows):
        return []
    best = max(rows, key=lambda r: (r[1], r[0]))
    key = ("train_step", device, best[0], best[1], "scratch")
    counted = info[key]["flops"] / times[key] / 1e9
    line = (f"{note}Large float32 matmul (2048^3): {peak:.0f} GFLOP/s. Training step at C={best[0]}, "
            f"batch {best[1]}: {counted:.0f} GFLOP/s counted as PyTorch's dense convolutions "
            f"(`others/bench/flops.py`), {100 * counted / peak:.0f} % of the matmul")
    if "executed_flops" in info[key]:  # runs before 2026-11-30 did not record it
        executed = info[key]["executed_flops"] / times[key] / 1e9
        line += (f"; {executed:.0f} GFLOP/s counting the multiply-adds our kernels execute (the upsampling blocks "
                 f"need fewer than the dense count), {100 * executed / peak:.0f} % of the matmul")
    conv = reference_rate(times, info, "conv_reference", device)
    if conv:  # runs before 2026-11-30 did not measure it
        n, c, size = info[("conv_reference", device, None, None, None)]["shape"][:3]
        line += (f". PyTorch's own 3x3 convolution, the library the twin's layers run on ({c} channels, "
                 f"{size}x{size}, batch {n}): {conv:.0f} GFLOP/s, {conv / peak:.2f} times the matmul")
    return [line + ".", ""]


def predict_lines(run, steady, device):
    """Markdown rows for predict at batch 100, with the no-page-faults run's ratio when there is one."""
    times = run[0]
    widths = sorted({k[2] for k in times if k[0] == "predict" and k[1] == device})
    if not widths:
        return []
    lines = ["Predict, batch 100:", "", "| C | ours img/s | PyTorch img/s | ratio | page faults per call, ours / "
             "PyTorch |" + (" no page faults: ratio |" if steady[0] else ""), "|---" * (5 + bool(steady[0])) + "|"]
    for w in widths:
        o, t = (times[("predict", device, w, 100, impl)] for impl in ("scratch", "twin"))
        line = f"| {w} | {100 / o:,.0f} | {100 / t:,.0f} | {t / o:.2f} | {faults(run[1], ('predict', device, w, 100))} |"
        if steady[0]:
            s = [steady[0].get(("predict", device, w, 100, impl)) for impl in ("scratch", "twin")]
            line += f" {'' if None in s else f'{s[1] / s[0]:.2f}'} |"
        lines.append(line)
    return lines + [""]


def ours_and_twin(times, key):
    """``(ours, twin)`` seconds of the benchmark ``key`` (its scratch key, or any with the same first four parts) in
    ``times``, or None where either is missing."""
    ours, twin = times.get(key[:4] + ("scratch",)), times.get(key[:4] + ("twin",))
    return None if None in (ours, twin) else (ours, twin)


def pair_cells(pair, show):
    """Three table cells for ``pair`` (``ours_and_twin``): both times through ``show``, and ours / PyTorch speed;
    blank for None."""
    return ["", "", ""] if pair is None else [show(pair[0]), show(pair[1]), f"{pair[1] / pair[0]:.2f}"]


def model_train_lines(run, steady):
    """Markdown rows for the Model.train benchmark (the shipped network), scaled to 50,000 pairs."""
    times, info = run[:2]
    keys = sorted(k for k in times if k[0] == "model_train" and k[4] == "scratch")
    if not keys:
        return []
    lines = ["## Model.train with the shipped network, one epoch of 50,000 pairs (scaled from 1,024)", "",
             f"Network: `{info[keys[0]]['architecture']}`, batch {keys[0][3]}, same loop for both.", ""]
    return lines + device_table(keys, times, steady[0], "s",
                                lambda key, seconds: f"{seconds * 50000 / info[key]['images']:.0f}")


def device_table(keys, times, steady_times, unit, show):
    """A Markdown table with a row per device of ``keys``: ours, the twin (``show(key, seconds)``, in ``unit``) and
    ours / PyTorch speed, and the same from ``steady_times`` (the run without page faults) beside when given."""
    sources = (times, steady_times) if steady_times else (times,)
    lines = [f"| device | ours ({unit}) | PyTorch twin ({unit}) | ours / PyTorch speed |" +
             (f" no page faults: ours ({unit}) | twin ({unit}) | ours / PyTorch |" if steady_times else ""),
             "|---" * (1 + 3 * len(sources)) + "|"]
    for key in keys:
        cells = []
        for times_of in sources:
            cells += pair_cells(ours_and_twin(times_of, key), lambda seconds: show(key, seconds))
        lines.append(f"| {key[1]} | " + " | ".join(cells) + " |")
    return lines + [""]


def shipped_predict_lines(run, steady):
    """Markdown rows for one eval pass of the shipped network (``benchmarks/test_predict_shipped.py``), beside the
    run without page faults when there is one."""
    times = run[0]
    keys = sorted(k for k in times if k[0] == "predict_shipped" and k[4] == "scratch")
    if not keys:
        return []
    lines = [f"## One pass of the shipped network in eval mode (predict's unit), batch {keys[0][3]}", ""]
    return lines + device_table(keys, times, steady[0], "img/s", lambda key, seconds: f"{key[3] / seconds:,.0f}")


def layer_lines(run, steady):
    """Markdown rows for the benchmarks of the shipped network's layers (``benchmarks/test_layers.py``), with the
    run without page faults beside when there is one, and the layers' totals."""
    times = run[0]
    keys = sorted(k for k in times if k[0] == "layer" and k[4] == "scratch")
    if not keys:
        return []
    sources = (times, steady[0]) if steady[0] else (times,)
    lines = [f"## The shipped network's layers one at a time (forward + backward, batch {keys[0][3]})", "",
             "PyTorch's side: `F.conv2d` (after `F.interpolate` for an upsampling block) with autograd.", "",
             "| device | layer | ours (ms) | PyTorch (ms) | ours / PyTorch speed | page faults per call, ours / "
             "PyTorch |" + (" no page faults: ours (ms) | PyTorch (ms) | ours / PyTorch |" if steady[0] else ""),
             "|---" * (6 + 3 * bool(steady[0])) + "|"]
    totals = [[0.0, 0.0] for _ in sources]
    for key in keys:
        cells = []
        for total, times_of in zip(totals, sources):
            pair = ours_and_twin(times_of, key)
            if pair is not None:
                total[0], total[1] = total[0] + pair[0], total[1] + pair[1]
            cells += pair_cells(pair, lambda seconds: f"{1e3 * seconds:.3f}")
        cells.insert(3, faults(run[1], key[:4]))
        lines.append(f"| {key[1]} | {key[2]} | " + " | ".join(cells) + " |")
    for (ours, twin), note in zip(totals, ("", "No page faults: ")):
        if ours:  # a no-page-faults run from before 2026-11-30 has no layers
            lines += ["", f"{note}All {len(keys)} layers: ours {1e3 * ours:.2f} ms, PyTorch {1e3 * twin:.2f} ms "
                          f"({twin / ours:.2f}x)."]
    return lines + [""]


BUSY_ORDER = ("idle, every-core", "idle, governed", "busy, every-core", "busy, governed")


def busy_lines(run):
    """Markdown rows for Model.train with and without a core held by another process (``benchmarks/test_busy.py``):
    images per second of ours and the twin, at every core and at the governor's choice, and how much of its idle
    speed each keeps when governed."""
    times, info = run[:2]
    keys = sorted((k for k in times if k[0] == "busy" and k[4] == "scratch"), key=lambda k: BUSY_ORDER.index(k[2]))
    if not keys:
        return []
    lines = [f"## Model.train with one core held by another process ({info[keys[0]]['images']} pairs, batch "
             f"{keys[0][3]})", "",
             "`busy`: a Python busy loop the benchmark starts on the machine; `every-core`: torch at as many threads "
             "as cores; `governed`: the thread count `others/threads.py` chooses (the scripts' default).", "",
             "| machine, threads | ours (img/s) | PyTorch twin (img/s) | ours / PyTorch speed |", "|---|---|---|---|"]
    rates = {}
    for key in keys:
        pair = ours_and_twin(times, key)
        if pair is not None:
            rates[key[2]] = [info[key]["images"] / seconds for seconds in pair]
        lines.append(f"| {key[2]} | " + " | ".join(pair_cells(pair, lambda t: f"{info[key]['images'] / t:.0f}")) + " |")
    idle, busy = rates.get("idle, every-core"), rates.get("busy, governed")
    if idle and busy:
        lines += ["", f"Governed on the busy machine, ours keeps {busy[0] / idle[0]:.0%} of its idle every-core speed "
                      f"and the twin {busy[1] / idle[1]:.0%}."]
    return lines + [""]


def memory_lines(memory):
    """Markdown rows for the peak memory of a step, per implementation."""
    if not memory:
        return []
    lines = ["## Peak memory of a training step (batch 256, C = 48, resident set rise over three steps)", "",
             "| implementation | MiB | every fresh process (MiB) |", "|---|---|---|"]
    lines += [f"| {impl} | {rec['step_kib'] / 1024:.0f} | "
              f"{', '.join(f'{k / 1024:.0f}' for k in rec.get('probes_kib', [rec['step_kib']]))} |"
              for impl, rec in memory.items()]
    return lines + [""]


def write(json_path, out_md, memory=None, steady_path=None):
    """Write the Markdown report (and its PNG) for one benchmark JSON, beside the same sweep without page faults
    (``steady_path``) when given; return the Markdown text."""
    run, steady = load(json_path), load(steady_path)
    times, info, machine = run
    devices = sorted({key[1] for key in times if key[0] == "train_step"})
    lines = [f"# Benchmark report: `{Path(json_path).name}`", "",
             f"Machine: {machine.get('cpu', {}).get('brand_raw', machine.get('processor', '?'))}, "
             f"{machine.get('cpu', {}).get('count', '?')} logical cores; Python {machine.get('python_version', '?')}.",
             "Medians of pytest-benchmark rounds; each configuration (both implementations, one after the other) in "
             "a fresh process."]
    if steady_path is not None:
        lines.append(f"Columns \"no page faults\": the same sweep with freed memory kept mapped "
                     f"(`{Path(steady_path).name}`, `others/bench/allocator.py`).")
    lines.append("")
    for device in devices:
        png = Path(out_md).with_name(Path(out_md).stem + f"-{device}-figure4.png")
        training, rows, steady_rows = training_lines(run, steady, device, png)
        lines += training + efficiency_line(times, info, device, rows)
        lines += efficiency_line(steady[0], steady[1], device, steady_rows, "No page faults: ")
        lines += predict_lines(run, steady, device)
    lines += model_train_lines(run, steady) + shipped_predict_lines(run, steady) + busy_lines(run)
    lines += layer_lines(run, steady) + memory_lines(memory)
    text = "\n".join(lines)
    Path(out_md).write_text(text)
    return text
