"""Run the benchmark sweep one configuration per fresh process, and merge the pytest-benchmark JSON.

A configuration is one benchmark with one set of parameters, both implementations (ours and the twin, in the
same process, one after the other). A fresh process per configuration keeps the C allocator's state from
carrying over from one configuration to the next (``allocator.py``). Each configuration runs in ``passes``
processes, the implementations in opposite orders from one to the next (ours then the twin, then the twin then
ours), each with its share of the rounds, and the rounds of a benchmark are pooled: a slow spell of the machine,
which can last minutes, then falls on both sides of a ratio rather than on whichever ran during it.
"""
import json
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

IMPL = re.compile(r"-(scratch|twin)\]$")


def pytest(*args):
    """The command line of a quiet pytest run in this interpreter, without the cache plugin."""
    return [sys.executable, "-m", "pytest", *args, "-q", "-p", "no:cacheprovider"]


def collect(root, env):
    """Return the node ids of every benchmark under ``root``/benchmarks, in pytest's order."""
    done = subprocess.run(pytest("benchmarks", "--collect-only"), cwd=root, env=env, capture_output=True, text=True)
    ids = [line for line in done.stdout.splitlines() if "::" in line]
    if done.returncode != 0 or not ids:
        raise RuntimeError(f"collecting the benchmarks failed:\n{done.stdout}{done.stderr}")
    return ids


def configurations(node_ids, cuda):
    """Group node ids that differ only in the implementation; drop CUDA ones when ``cuda`` is false.

    Returns a list of (label, [node ids]) in the order of first appearance.
    """
    groups = {}
    for node in node_ids:
        if not cuda and re.search(r"\[cuda(-|\])", node):
            continue
        label = IMPL.sub("]", node).split("::")[-1]
        groups.setdefault(label, []).append(node)
    return list(groups.items())


def run(root, groups, json_path, env, passes=1):
    """Run each group in ``passes`` pytest processes (the implementations in opposite orders from one to the
    next) and write the merged JSON to ``json_path``.

    Raises RuntimeError naming the first configuration whose run failed.
    """
    env = dict(env, N2N_BENCH_PASSES=str(passes))  # benchmarks/conftest.py gives each pass its share of the rounds
    with tempfile.TemporaryDirectory() as scratch:
        parts = []
        for index, (label, nodes) in enumerate(groups):
            print(f"[{index + 1}/{len(groups)}] {label}", flush=True)
            for turn in range(passes):
                part = Path(scratch) / f"{index}-{turn}.json"
                order = nodes if turn % 2 == 0 else nodes[::-1]  # pytest runs node ids in the order given
                done = subprocess.run(pytest(*order, f"--benchmark-json={part}"), cwd=root, env=env,
                                      capture_output=True, text=True)
                if done.returncode != 0:
                    raise RuntimeError(f"the benchmark {label} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
                if part.is_file():  # not written when every benchmark of the group was skipped
                    parts.append(part)
        merge(parts, json_path)


def merge(parts, out):
    """Write one pytest-benchmark JSON holding every benchmark of ``parts``, with the first part's machine and
    commit information; the runs of one benchmark (same name) in several parts become one entry (``pool``)."""
    data, runs = None, {}
    for part in parts:
        loaded = json.loads(Path(part).read_text())
        data = data or loaded
        for bench in loaded["benchmarks"]:
            runs.setdefault(bench["name"], []).append(bench)
    if data is None:
        raise ValueError("no benchmark JSON to merge")
    data["benchmarks"] = [pool(entries) for entries in runs.values()]
    Path(out).write_text(json.dumps(data, indent=4))


def pool(entries):
    """Return one benchmark entry from several runs of it: their rounds together, the statistics recomputed from
    them, the page faults per call averaged, and ``extra_info["passes"]``, the number of runs."""
    if len(entries) == 1:
        return entries[0]
    rounds = [value for entry in entries for value in entry["stats"]["data"]]
    merged = dict(entries[0], stats=dict(entries[0]["stats"], **summary(rounds)))
    extra = dict(entries[0].get("extra_info", {}), passes=len(entries))
    faults = [entry["extra_info"]["faults_per_call"] for entry in entries
              if "faults_per_call" in entry.get("extra_info", {})]
    if faults:
        extra["faults_per_call"] = sum(faults) / len(faults)
    merged["extra_info"] = extra
    return merged


def summary(rounds):
    """The statistics pytest-benchmark keeps for a list of round times (``data`` included)."""
    q1, median, q3 = statistics.quantiles(rounds, n=4, method="inclusive") if len(rounds) > 1 else rounds * 3
    mean = statistics.fmean(rounds)
    stddev = statistics.stdev(rounds) if len(rounds) > 1 else 0.0
    iqr = q3 - q1
    inside = [value for value in rounds if q1 - 1.5 * iqr <= value <= q3 + 1.5 * iqr]
    far = sum(abs(value - mean) > stddev for value in rounds)
    return {"data": rounds, "rounds": len(rounds), "min": min(rounds), "max": max(rounds), "mean": mean,
            "stddev": stddev, "median": median, "q1": q1, "q3": q3, "iqr": iqr,
            "ld15iqr": min(inside), "hd15iqr": max(inside), "iqr_outliers": len(rounds) - len(inside),
            "stddev_outliers": far, "outliers": f"{far};{len(rounds) - len(inside)}", "ops": 1 / mean,
            "total": sum(rounds)}
