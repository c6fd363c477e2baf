"""The benchmark sweep: one fresh process per configuration, both implementations in it, the JSON merged."""
import json
import os
import sys

import pytest

from others.bench import sweep

FAKE = '''
import os
import pytest


@pytest.mark.parametrize("impl", ["scratch", "twin"])
@pytest.mark.parametrize("width", [16, 48])
def test_step(benchmark, width, impl):
    benchmark.extra_info.update(impl=impl, width=width, pid=os.getpid(), faults_per_call=float(width))
    with open(os.environ["FAKE_LOG"], "a") as log:
        log.write(f"{width}-{impl} {os.environ['N2N_BENCH_PASSES']}\\n")
    benchmark.pedantic(lambda: None, rounds=1)


def test_alone(benchmark):
    benchmark.extra_info.update(pid=os.getpid())
    benchmark.pedantic(lambda: None, rounds=1)
'''


def test_configurations_group_the_implementations_and_drop_cuda_without_a_gpu():
    ids = ["b/t.py::test_matmul_2048[cpu]", "b/t.py::test_matmul_2048[cuda]", "b/t.py::test_step[cpu-1-16-scratch]",
           "b/t.py::test_step[cpu-1-16-twin]", "b/t.py::test_step[cuda-1-16-scratch]", "b/t.py::test_step[cpu-1-48-twin]"]
    assert sweep.configurations(ids, cuda=False) == [
        ("test_matmul_2048[cpu]", ids[:1]), ("test_step[cpu-1-16]", ids[2:4]), ("test_step[cpu-1-48]", ids[5:])]
    assert [label for label, _ in sweep.configurations(ids, cuda=True)] == [
        "test_matmul_2048[cpu]", "test_matmul_2048[cuda]", "test_step[cpu-1-16]", "test_step[cuda-1-16]",
        "test_step[cpu-1-48]"]


def test_run_gives_each_configuration_a_fresh_process(tmp_path, capsys):
    pytest.importorskip("pytest_benchmark")
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "test_fake.py").write_text(FAKE)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), FAKE_LOG=str(tmp_path / "log"))
    groups = sweep.configurations(sweep.collect(tmp_path, env), cuda=False)
    assert [label for label, _ in groups] == ["test_step[16]", "test_step[48]", "test_alone"]
    sweep.run(tmp_path, groups, tmp_path / "run.json", env)
    runs = json.loads((tmp_path / "run.json").read_text())["benchmarks"]
    pid = {bench["name"]: bench["extra_info"]["pid"] for bench in runs}
    assert len(pid) == 5 and len(set(pid.values())) == 3
    assert pid["test_step[16-scratch]"] == pid["test_step[16-twin]"] != pid["test_step[48-twin]"]
    assert "[3/3] test_alone" in capsys.readouterr().out


def test_run_names_the_configuration_that_failed(tmp_path):
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "test_fake.py").write_text("def test_broken():\n    assert False\n")
    with pytest.raises(RuntimeError, match="test_broken failed"):
        sweep.run(tmp_path, [("test_broken", ["benchmarks/test_fake.py::test_broken"])], tmp_path / "run.json",
                  dict(os.environ))


def test_merge_keeps_the_first_parts_machine_and_every_benchmark(tmp_path):
    for index in range(2):
        (tmp_path / f"{index}.json").write_text(json.dumps({"machine_info": {"node": index},
                                                            "benchmarks": [{"name": f"b{index}"}]}))
    sweep.merge([tmp_path / "0.json", tmp_path / "1.json"], tmp_path / "out.json")
    merged = json.loads((tmp_path / "out.json").read_text())
    assert merged["machine_info"] == {"node": 0} and [b["name"] for b in merged["benchmarks"]] == ["b0", "b1"]
    with pytest.raises(ValueError, match="no benchmark JSON"):
        sweep.merge([], tmp_path / "none.json")


def test_passes_run_the_implementations_in_opposite_orders_and_pool_their_rounds(tmp_path):
    pytest.importorskip("pytest_benchmark")
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "test_fake.py").write_text(FAKE)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), FAKE_LOG=str(tmp_path / "log"))
    groups = sweep.configurations(sweep.collect(tmp_path, env), cuda=False)[:1]
    sweep.run(tmp_path, groups, tmp_path / "run.json", env, passes=3)
    assert (tmp_path / "log").read_text().split("\n")[:-1] == [
        "16-scratch 3", "16-twin 3", "16-twin 3", "16-scratch 3", "16-scratch 3", "16-twin 3"]
    runs = json.loads((tmp_path / "run.json").read_text())["benchmarks"]
    assert [bench["name"] for bench in runs] == ["test_step[16-scratch]", "test_step[16-twin]"]
    for bench in runs:
        assert bench["stats"]["rounds"] == 3 and len(bench["stats"]["data"]) == 3
        assert bench["extra_info"]["passes"] == 3 and bench["extra_info"]["faults_per_call"] == 16.0


def test_pool_recomputes_the_statistics_from_every_round():
    entries = [{"name": "b", "stats": {"data": data, "iterations": 2, "median": -1.0},
                "extra_info": {"impl": "twin", "faults_per_call": faults}}
               for data, faults in (([1.0, 5.0, 3.0], 10.0), ([2.0, 4.0], 20.0))]
    pooled = sweep.pool(entries)
    stats = pooled["stats"]
    assert stats["data"] == [1.0, 5.0, 3.0, 2.0, 4.0] and stats["rounds"] == 5 and stats["iterations"] == 2
    assert (stats["median"], stats["min"], stats["max"], stats["mean"], stats["total"]) == (3.0, 1.0, 5.0, 3.0, 15.0)
    assert (stats["q1"], stats["q3"], stats["iqr"]) == (2.0, 4.0, 2.0)
    assert pooled["extra_info"] == {"impl": "twin", "faults_per_call": 15.0, "passes": 2}
    assert sweep.pool(entries[:1]) is entries[0]


def test_merge_pools_the_runs_of_one_benchmark(tmp_path):
    for index, value in enumerate((1.0, 3.0)):
        bench = {"name": "b", "stats": {"data": [value]}, "extra_info": {}}
        (tmp_path / f"{index}.json").write_text(json.dumps({"machine_info": {"node": index}, "benchmarks": [bench]}))
    sweep.merge([tmp_path / "0.json", tmp_path / "1.json"], tmp_path / "out.json")
    merged = json.loads((tmp_path / "out.json").read_text())
    assert [b["stats"]["median"] for b in merged["benchmarks"]] == [2.0] and merged["machine_info"] == {"node": 0}
