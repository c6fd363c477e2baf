"""The benchmark report from a pytest-benchmark JSON file."""
import json
import os
import platform

import pytest

from others.bench import report


def fake_run(path, twin=2.0, faults=None, executed=None, conv=None):
    """A saved run in which the twin takes ``twin`` times as long as ours in every training step; ours executes
    ``executed`` times the counted FLOPs when given (runs before 2026-11-30 did not record it); PyTorch's reference
    convolution takes ``conv`` seconds for 10 GFLOP when given (runs before 2026-11-30 did not measure it)."""
    benchmarks = []
    counted = {} if faults is None else {"faults_per_call": faults}
    for width in (16, 48):
        for batch in (1, 64):
            for impl, seconds in (("scratch", 0.01 * batch), ("twin", 0.01 * twin * batch)):
                extra = {} if executed is None or impl == "twin" else {"executed_flops": executed * 1e9 * batch}
                benchmarks.append({"name": f"test_train_step[cpu-{batch}-{width}-{impl}]",
                                   "stats": {"median": seconds},
                                   "extra_info": {"impl": impl, "width": width, "batch": batch, "device": "cpu",
                                                  "flops": 1e9 * batch, **counted, **extra}})
    benchmarks.append({"name": "test_matmul_2048[cpu]", "stats": {"median": 0.1},
                       "extra_info": {"device": "cpu", "flops": 2 * 2048 ** 3}})
    if conv is not None:
        benchmarks.append({"name": "test_conv_reference[cpu]", "stats": {"median": conv},
                           "extra_info": {"device": "cpu", "flops": 1e10, "shape": [16, 512, 16, 16]}})
    for impl, seconds in (("scratch", 0.05), ("twin", 0.05 * twin)):
        benchmarks.append({"name": f"test_predict[cpu-16-{impl}]", "stats": {"median": seconds},
                           "extra_info": {"impl": impl, "width": 16, "batch": 100, "device": "cpu", **counted}})
    for impl, seconds in (("scratch", 4.096), ("twin", 1.024 * twin)):
        benchmarks.append({"name": f"test_model_train[cpu-{impl}]", "stats": {"median": seconds},
                           "extra_info": {"impl": impl, "device": "cpu", "batch": 32, "images": 1024,
                                          "architecture": {"name": "unet"}}})
    path.write_text(json.dumps({"benchmarks": benchmarks, "machine_info": {"cpu": {"count": 2}}}))


def test_report_tables_ratios_and_figure(tmp_path):
    fake_run(tmp_path / "run.json")
    memory = {"scratch": {"step_kib": 2048, "probes_kib": [1024, 2048, 3072]}, "twin": {"step_kib": 4096}}
    text = report.write(tmp_path / "run.json", tmp_path / "run.md", memory)
    assert "| 48 | 64 | 100 | 50 | 2.00 |" in text
    assert "4 of 4 configurations at 1.5x or more" in text
    assert "| 16 | 2,000 | 1,000 | 2.00 |" in text  # predict
    assert "| cpu | 200 | 100 | 0.50 |" in text  # Model.train scaled to 50,000 pairs
    assert "| scratch | 2 | 1, 2, 3 |" in text and "| twin | 4 | 4 |" in text
    png = tmp_path / "run-cpu-figure4.png"
    assert png.is_file() and png.read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "run.md").read_text() == text
    assert "no page faults" not in text
    assert "Training step at C=48, batch 64: 100 GFLOP/s counted as PyTorch's dense convolutions" in text
    assert "multiply-adds our kernels execute" not in text
    assert "PyTorch's own 3x3 convolution" not in text and "layers one at a time" not in text


def add_layers(path, twin):
    """Add two layer benchmarks to the saved run at ``path``: ours 1 and 3 ms, the twin ``twin`` times that."""
    data = json.loads(path.read_text())
    for label, seconds in (("L01-conv-3to4-32x32-s1", 0.001), ("L02-up-4to3-16x16-s1", 0.003)):
        for impl, time in (("scratch", seconds), ("twin", seconds * twin)):
            data["benchmarks"].append({"name": f"test_layer[cpu-{label}-{impl}]", "stats": {"median": time},
                                       "extra_info": {"impl": impl, "device": "cpu", "layer": label, "batch": 8,
                                                      "faults_per_call": 5}})
    path.write_text(json.dumps(data))


def test_report_lists_the_layers_and_their_totals_in_both_modes(tmp_path):
    fake_run(tmp_path / "run.json")
    fake_run(tmp_path / "steady.json")
    add_layers(tmp_path / "run.json", 2.0)
    add_layers(tmp_path / "steady.json", 0.5)
    text = report.write(tmp_path / "run.json", tmp_path / "run.md", None, tmp_path / "steady.json")
    assert "## The shipped network's layers one at a time (forward + backward, batch 8)" in text
    assert "| cpu | L01-conv-3to4-32x32-s1 | 1.000 | 2.000 | 2.00 | 5 / 5 | 1.000 | 0.500 | 0.50 |" in text
    assert "| cpu | L02-up-4to3-16x16-s1 | 3.000 | 6.000 | 2.00 | 5 / 5 | 3.000 | 1.500 | 0.50 |" in text
    assert "All 2 layers: ours 4.00 ms, PyTorch 8.00 ms (2.00x)." in text
    assert "No page faults: All 2 layers: ours 4.00 ms, PyTorch 2.00 ms (0.50x)." in text


def test_report_lists_the_layers_beside_a_run_without_page_faults_that_has_none(tmp_path):
    fake_run(tmp_path / "run.json")
    fake_run(tmp_path / "steady.json")
    add_layers(tmp_path / "run.json", 2.0)
    text = report.write(tmp_path / "run.json", tmp_path / "run.md", None, tmp_path / "steady.json")
    assert "| cpu | L01-conv-3to4-32x32-s1 | 1.000 | 2.000 | 2.00 | 5 / 5 |  |  |  |" in text
    assert "All 2 layers: ours 4.00 ms, PyTorch 8.00 ms (2.00x)." in text and "No page faults: All" not in text


def test_report_gives_pytorchs_convolution_rate_beside_the_matmul(tmp_path):
    fake_run(tmp_path / "run.json", conv=0.025)
    text = report.write(tmp_path / "run.json", tmp_path / "run.md", None)
    assert ("PyTorch's own 3x3 convolution, the library the twin's layers run on (512 channels, 16x16, batch 16): "
            "400 GFLOP/s, 2.33 times the matmul.") in text


def test_report_gives_the_executed_rate_where_the_run_recorded_it(tmp_path):
    fake_run(tmp_path / "run.json", executed=0.4)
    text = report.write(tmp_path / "run.json", tmp_path / "run.md", None)
    assert "100 GFLOP/s counted as PyTorch's dense convolutions (`others/bench/flops.py`), 58 % of the matmul" in text
    assert "40 GFLOP/s counting the multiply-adds our kernels execute" in text and "23 % of the matmul" in text


def test_report_sets_the_run_without_page_faults_beside_the_first(tmp_path):
    fake_run(tmp_path / "run.json", twin=2.0, faults=12)
    fake_run(tmp_path / "steady.json", twin=1.25, faults=0)
    text = report.write(tmp_path / "run.json", tmp_path / "run.md", None, tmp_path / "steady.json")
    assert "| 48 | 64 | 100 | 50 | 2.00 | 12 / 12 | 100 | 80 | 1.25 |" in text
    assert "Ratio range: 2.00 to 2.00; 4 of 4 configurations at 1.5x or more." in text
    assert "No page faults: Ratio range: 1.25 to 1.25; 0 of 4 configurations at 1.5x or more." in text
    assert "| 16 | 2,000 | 1,000 | 2.00 | 12 / 12 | 1.25 |" in text  # predict
    assert "| cpu | 200 | 100 | 0.50 | 200 | 62 | 0.31 |" in text  # Model.train, both modes
    assert "`steady.json`" in text


@pytest.mark.parametrize("model, slug", [
    ("Intel(R) Xeon(R) Processor", "intel-xeon"), ("AMD EPYC", "amd-epyc"),
    ("AMD EPYC 7B13 64-Core Processor", "amd-epyc-7b13-64-core"),
    ("Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz", "intel-core-i7-8700"), ("", "")])
def test_model_slug(model, slug):
    assert report.model_slug(model) == slug


def test_device_label_names_the_cpu_model_or_the_cuda_device(tmp_path):
    assert report.device_label("NVIDIA H200") == "cuda-NVIDIA_H200"
    assert report.device_label(model="AMD EPYC").endswith("core-" + platform.machine() + "-amd-epyc")
    assert report.device_label(model="") == f"cpu-{os.cpu_count()}core-{platform.machine()}"
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9B45\nflags\t: fpu\n")
    assert report.cpu_model(cpuinfo) == "AMD EPYC 9B45"


def test_report_gives_model_train_under_load_with_the_share_of_idle_speed_kept(tmp_path):
    fake_run(tmp_path / "run.json")
    data = json.loads((tmp_path / "run.json").read_text())
    for condition, ours, twin in (("busy, governed", 2.0, 2.5), ("idle, every-core", 1.0, 1.25),
                                  ("busy, every-core", 20.0, 40.0), ("idle, governed", 1.0, 1.25)):
        for impl, seconds in (("scratch", ours), ("twin", twin)):
            data["benchmarks"].append({"name": f"test_busy[{condition}-{impl}]", "stats": {"median": seconds},
                                       "extra_info": {"impl": impl, "device": "cpu", "condition": condition,
                                                      "batch": 8, "images": 512}})
    (tmp_path / "run.json").write_text(json.dumps(data))
    text = report.write(tmp_path / "run.json", tmp_path / "run.md")
    assert "## Model.train with one core held by another process (512 pairs, batch 8)" in text
    rows = [line for line in text.splitlines() if line.startswith("| idle, ") or line.startswith("| busy, ")]
    assert rows == ["| idle, every-core | 512 | 410 | 1.25 |", "| idle, governed | 512 | 410 | 1.25 |",
                    "| busy, every-core | 26 | 13 | 2.00 |", "| busy, governed | 256 | 205 | 1.25 |"]
    assert "ours keeps 50% of its idle every-core speed and the twin 50%." in text


def test_report_gives_one_pass_of_the_shipped_network(tmp_path):
    fake_run(tmp_path / "run.json")
    data = json.loads((tmp_path / "run.json").read_text())
    for impl, seconds in (("scratch", 0.05), ("twin", 0.1)):
        data["benchmarks"].append({"name": f"test_predict_shipped[cpu-{impl}]", "stats": {"median": seconds},
                                   "extra_info": {"impl": impl, "device": "cpu", "batch": 100}})
    (tmp_path / "run.json").write_text(json.dumps(data))
    text = report.write(tmp_path / "run.json", tmp_path / "run.md")
    assert "## One pass of the shipped network in eval mode (predict's unit), batch 100" in text
    assert "| cpu | 2,000 | 1,000 | 2.00 |" in text
