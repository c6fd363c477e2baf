"""Run the benchmark sweep one configuration per fresh process, and merge the pytest-benchmark JSON.

A configuration is one benchmark with one set of parameters, both implementations (ours and the twin, in the
same process, one after the other). A fresh process per configuration keeps the C allocator's state from
carrying over from one configuration to the next (``allocator.py``).
"""
import json
import re
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


def run(root, groups, json_path, env):
    """Run each group in its own pytest process and write the merged JSON to ``json_path``.

    Raises RuntimeError naming the first configuration whose run failed.
    """
    with tempfile.TemporaryDirectory() as scratch:
        parts = []
        for index, (label, nodes) in enumerate(groups):
            part = Path(scratch) / f"{index}.json"
            print(f"[{index + 1}/{len(groups)}] {label}", flush=True)
            done = subprocess.run(pytest(*nodes, f"--benchmark-json={part}"), cwd=root, env=env, capture_output=True,
                                  text=True)
            if done.returncode != 0:
                raise RuntimeError(f"the benchmark {label} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
            if part.is_file():  # not written when every benchmark of the group was skipped
                parts.append(part)
        merge(parts, json_path)


def merge(parts, out):
    """Write one pytest-benchmark JSON holding every benchmark of ``parts``, with the first part's machine and
    commit information."""
    data = None
    for part in parts:
        loaded = json.loads(Path(part).read_text())
        if data is None:
            data = loaded
        else:
            data["benchmarks"].extend(loaded["benchmarks"])
    if data is None:
        raise ValueError("no benchmark JSON to merge")
    Path(out).write_text(json.dumps(data, indent=4))
