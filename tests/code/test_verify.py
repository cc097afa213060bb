"""pwc.ops.verify.compare: which outputs differ from dvc.lock, and the likely reason for each."""

import copy
import subprocess

import pytest
import yaml

from pwc.ops import verify
from pwc.ops.verify import compare

LOCK = {
    "schema": "2.0",
    "stages": {
        "ingest": {
            "cmd": "python -m pwc.stages.ingest",
            "deps": [
                {"path": "src/pwc/stages/ingest.py", "md5": "a1"},
                {"path": "data/raw", "md5": "r1.dir"},
            ],
            "params": {"params.yaml": {"seed": 1, "data": {"sample": None}}},
            "outs": [{"path": "data/ingested.parquet", "md5": "i1"}],
        },
        "train": {
            "cmd": "python -m pwc.stages.train",
            "deps": [
                {"path": "src/pwc/model.py", "md5": "m1"},
                {"path": "data/ingested.parquet", "md5": "i1"},
            ],
            "params": {"params.yaml": {"train": {"alpha": 3.0}}},
            "outs": [{"path": "models/model.skops", "md5": "k1"}],
        },
    },
}


def changed(**edits) -> dict:
    lock = copy.deepcopy(LOCK)
    for stage, (section, index, key, value) in edits.items():
        target = lock["stages"][stage][section]
        if section == "params":
            target["params.yaml"][index] = value
        else:
            target[index][key] = value
    return lock


def test_identical_locks_mean_nothing_to_report():
    assert compare(LOCK, copy.deepcopy(LOCK)) == []


def test_same_inputs_other_bytes_is_blamed_on_the_machine():
    after = changed(train=("outs", 0, "md5", "k2"))
    assert compare(LOCK, after) == [
        "models/model.skops (stage train): same code, params and inputs gave other bytes: this "
        "machine's environment changed the result (a reproducibility bug: "
        "docs/reproducibility.md)"
    ]


def test_code_params_and_data_changes_are_named():
    after = changed(train=("deps", 0, "md5", "m2"))
    after["stages"]["train"]["outs"][0]["md5"] = "k2"
    assert "code changed (src/pwc/model.py)" in compare(LOCK, after)[0]
    after = changed(train=("params", "train", None, {"alpha": 9.0}))
    after["stages"]["train"]["outs"][0]["md5"] = "k2"
    assert "params changed (train)" in compare(LOCK, after)[0]


def test_a_changed_input_explains_everything_downstream():
    after = changed(ingest=("deps", 1, "md5", "r2.dir"))
    after["stages"]["ingest"]["outs"][0]["md5"] = "i2"
    after["stages"]["train"]["deps"][1]["md5"] = "i2"
    after["stages"]["train"]["outs"][0]["md5"] = "k2"
    first, second = compare(LOCK, after)
    assert first.startswith("data/ingested.parquet (stage ingest): input data changed (data/raw)")
    assert "its input data/ingested.parquet differed" in second


def test_a_stage_missing_from_the_reference_is_reported():
    before = copy.deepcopy(LOCK)
    del before["stages"]["train"]
    assert compare(before, LOCK) == [
        "models/model.skops: stage train is not in the reference dvc.lock"
    ]


RERUN = "rerunning every stage (dvc repro --force); outputs are checked against dvc.lock\n"


@pytest.mark.parametrize(
    ("rerun_lock", "rerun_exit", "argv", "exit_code", "says"),
    [
        (LOCK, 0, [], 0, f"{RERUN}verified: every output of 2 stages matches dvc.lock\n"),
        (
            changed(train=("outs", 0, "md5", "k2")),
            0,
            [],
            1,
            f"{RERUN}1 output(s) differ from the dvc.lock this run started from:\n"
            f"  {compare(LOCK, changed(train=('outs', 0, 'md5', 'k2')))[0]}\n"
            "dvc.lock now records this run: `git diff HEAD -- dvc.lock` shows what moved.\n",
        ),
        (LOCK, 1, [], 2, "error: `dvc repro --force` failed (above); nothing was verified\n"),
        (None, 0, [], 2, "error: no dvc.lock to verify against (run `make repro` first)\n"),
        (
            LOCK,
            0,
            ["--bad"],
            2,
            "    python -m pwc.ops.verify            # exit 0: every output "
            "has the hash dvc.lock records\n",
        ),
    ],
    ids=["verified", "outputs-differ", "repro-fails", "no-lock", "usage"],
)
def test_main_exits_0_when_verified_1_when_outputs_differ_2_when_it_could_not_verify(
    tmp_path, monkeypatch, capsys, rerun_lock, rerun_exit, argv, exit_code, says
):
    """make verify's exit code is what CI's reproduce job acts on: the rerun (`dvc repro
    --force`) is replaced by one that writes `rerun_lock` and exits `rerun_exit`."""
    lock = tmp_path / "dvc.lock"
    if rerun_lock is not None:
        lock.write_text(yaml.safe_dump(LOCK))
    monkeypatch.setattr(verify, "LOCK", lock)
    ran = []

    def rerun(command, **kwargs):
        ran.append(command[1:])
        lock.write_text(yaml.safe_dump(rerun_lock))
        return subprocess.CompletedProcess(command, rerun_exit)

    monkeypatch.setattr(verify.subprocess, "run", rerun)
    assert verify.main(argv) == exit_code
    out = capsys.readouterr()
    assert (out.out if exit_code < 2 else out.err) == says
    assert ran == ([] if argv or rerun_lock is None else [["-m", "dvc", "repro", "--force"]])


def _stage(deps: dict, outs: dict, params: dict | None = None) -> dict:
    stage = {
        "deps": [{"path": p, "md5": m} for p, m in deps.items()],
        "outs": [{"path": p, "md5": m} for p, m in outs.items()],
    }
    if params is not None:
        stage["params"] = {"params.yaml": params}
    return stage


def test_every_reason_of_every_differing_output_is_named_exactly():
    """Code (a dep only the new lock has too), params (a key only the new lock has too) and
    data at once; a stage that did not change does not end the walk; outputs of a stage the
    reference lacks count as changed inputs downstream, beside the ones changed before."""
    src = {"src/a.py": "1", "src/b.py": "1", "data/raw": "r1"}
    before = {
        "stages": {
            "ingest": _stage(src, {"d/i": "i1"}, {"x": 1}),
            "same": _stage({"src/s.py": "1"}, {"d/s": "s1"}),
            "train": _stage({"d/i": "i1"}, {"m": "m1"}),
            "report": _stage({"m": "m1", "d/n": "n1"}, {"r": "r1"}),
        }
    }
    changed_src = {"src/a.py": "2", "src/b.py": "2", "src/c.py": "1", "data/raw": "r2"}
    after = {
        "stages": {
            "ingest": _stage(changed_src, {"d/i": "i2"}, {"x": 2, "y": 3}),
            "same": _stage({"src/s.py": "1"}, {"d/s": "s1"}),
            "new": _stage({}, {"d/n": "n2", "d/n2": "n3"}),
            "train": _stage({"d/i": "i2"}, {"m": "m2"}),
            "report": _stage({"m": "m2", "d/n": "n2"}, {"r": "r2"}),
        }
    }
    assert compare(before, after) == [
        "d/i (stage ingest): code changed (src/a.py, src/b.py, src/c.py); "
        "params changed (x, y); input data changed (data/raw)",
        "d/n: stage new is not in the reference dvc.lock",
        "d/n2: stage new is not in the reference dvc.lock",
        "m (stage train): its input d/i differed (above)",
        "r (stage report): its input d/n, m differed (above)",
    ]
    assert compare({}, {}) == [] and compare({"stages": {}}, {}) == []
    assert compare({}, {"stages": {"new": _stage({}, {"o": "1"})}}) == [
        "o: stage new is not in the reference dvc.lock"
    ]
