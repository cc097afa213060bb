"""The sweep helper's logic on scripted queue states (tests/pipeline/test_experiments_queue.py
runs the same against real DVC): ranking by the validation metric, a wait that cannot hang."""

import importlib
import inspect
import sys

import pytest

from pwc.errors import PwcError
from pwc.ops import experiments, tools

HEADER = "Task     Name   Created  Status\n"


def status(state: str, active: int) -> str:
    return f"{HEADER}ab12cd3  exp-1  Nov 27   {state}\n\nWorker status: {active} active, 0 idle\n"


STALLED, RUNNING, DONE = status("Queued", 0), status("Running", 1), status("Success", 0)


def fake_dvc(monkeypatch, statuses):
    calls = []

    def dvc(*args):
        calls.append(args)
        if args[:2] == ("queue", "status"):
            return statuses.pop(0) if len(statuses) > 1 else statuses[0]
        return ""

    monkeypatch.setattr(experiments, "dvc", dvc)
    monkeypatch.setattr(experiments.time, "sleep", lambda s: None)
    return calls


def test_workers_are_parsed_from_queue_status():
    assert experiments._workers(RUNNING) == 1
    assert experiments._workers("Worker status: 2 active, 1 idle") == 3
    assert experiments._workers("no such line") == 0


def test_wait_restarts_workers_that_died_with_tasks_queued(monkeypatch):
    calls = fake_dvc(monkeypatch, [STALLED] * 5 + [RUNNING, DONE])
    experiments.wait(poll=0)
    assert calls.count(("queue", "start", "-j", "2")) == 1


def test_wait_fails_loudly_instead_of_hanging(monkeypatch):
    calls = fake_dvc(monkeypatch, [STALLED])
    with pytest.raises(SystemExit, match="no queue worker runs"):
        experiments.wait(poll=0, restarts=2)
    assert calls.count(("queue", "start", "-j", "2")) == 2


def test_ranked_orders_by_primary_metric_and_skips_failed():
    def rev(name, value, error=None):
        data = {} if value is None else {"validation_head": {"served": {"spearman": value}}}
        metrics = {"m.json": {"data": data}}
        revision = {"rev": name * 7, "data": {"metrics": metrics}, "error": error}
        return {"name": name, "revs": [revision]}

    # a failed run, as real DVC shows it: an error, beside its baseline's metrics
    failed = rev("d", 0.9, {"msg": "Experiment run failed", "type": ""})
    show = [{"experiments": [rev("a", 0.5), rev("b", 0.7), rev("c", None), failed]}]
    assert experiments.ranked(show, "m.json") == [("b", 0.7), ("a", 0.5)]
    assert experiments.ranked(show, "other.json") == []


def test_run_returns_when_the_command_exits_not_when_its_children_do():
    """`dvc queue start` leaves workers holding its output open; with pipes the caller waited
    for them (a CI run hung there). Here a background child keeps the output open for 60 s;
    the call must come back with the output long before (the timeout fails it otherwise)."""
    script = "sleep 60 & echo started; echo oops >&2"
    proc = tools.run(["sh", "-c", script], timeout=20, start_new_session=True)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "started\n", "oops\n")


def test_wait_survives_dvcs_transient_queue_errors_and_says_so(monkeypatch, capsys):
    """`dvc queue status` reading the queue's JSON while a worker rewrites it fails with
    "unexpected error - Expecting value" (seen in CI): tried again, a bounded number of times."""
    race = PwcError("`dvc queue status` failed: ERROR: unexpected error - Expecting value: line 1")
    answers = [race, race, RUNNING, race, DONE]

    def dvc(*args):
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(experiments, "dvc", dvc)
    monkeypatch.setattr(tools.time, "sleep", lambda s: None)
    monkeypatch.setattr(experiments.time, "sleep", lambda s: None)
    experiments.wait(poll=0)
    out = capsys.readouterr().out
    assert out.count("Expecting value: line 1 (retry ") == 3 and answers == []
    assert "(retry 1 of 4)" in out and "(retry 2 of 4)" in out


def test_wait_gives_up_after_a_bounded_number_of_failures(monkeypatch):
    calls = []

    def dvc(*args):
        calls.append(args)
        raise PwcError("`dvc queue status` failed: ERROR: unexpected error")

    monkeypatch.setattr(experiments, "dvc", dvc)
    monkeypatch.setattr(tools.time, "sleep", lambda s: None)
    with pytest.raises(PwcError, match=r"unexpected error \(5 tries\)"):
        experiments.wait(poll=0)
    assert len(calls) == 5


OPS_COMMANDS = {
    "ci_sweep": ["collect", "s"],
    "dashboard": ["--out", "x.html"],
    "experiments": ["rank", "s"],
    "mr_report": [],
    "report": [],
    "retrain": [],
    "sweeps": ["queue", "s"],
}


@pytest.mark.parametrize("name", sorted(OPS_COMMANDS))
def test_every_ops_command_ends_a_failure_in_one_error_line(name, tmp_path, monkeypatch, capsys):
    """Run where nothing is set up (no params.yaml, no git, no DVC): exit 1 and one line."""
    module = importlib.import_module(f"pwc.ops.{name}")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [name, *OPS_COMMANDS[name]])
    assert tools.entry(module.main) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    # and each module's command line goes through entry()
    assert 'if __name__ == "__main__":\n    sys.exit(entry(main))' in inspect.getsource(module)
