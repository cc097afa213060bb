"""CI's rule that nothing skips (tests/conftest.py, PWC_NO_SKIPS set by .ci/run) can fail."""

import os
import subprocess
import sys

import pytest

from ..conftest import ROOT


def run_pytest(tmp_path, no_skips: bool, *options: str) -> subprocess.CompletedProcess:
    (tmp_path / "conftest.py").write_text("from tests.no_skips import pytest_sessionfinish\n")
    (tmp_path / "test_one.py").write_text(
        "import pytest\n\ndef test_runs():\n    pass\n\n"
        "def test_skips():\n    pytest.skip('a tool is missing')\n"
    )
    # only the plugins the check needs (xdist where asked for): loading every installed one
    # (hypothesis, schemathesis, hydra, ...) was most of each run's 3-7 s
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    env.pop("PWC_NO_SKIPS", None)
    env.pop("PYTEST_ADDOPTS", None)
    if no_skips:
        env["PWC_NO_SKIPS"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options, str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# make test runs the suite on pytest-xdist workers: the skip is seen there too
@pytest.mark.parametrize("options", [(), ("-p", "xdist", "-n", "2", "--dist", "loadfile")])
def test_a_skip_fails_the_run_in_ci_and_only_there(tmp_path, options):
    ci = run_pytest(tmp_path, True, *options)
    assert ci.returncode == 1, ci.stdout
    assert "PWC_NO_SKIPS: 1 test(s) skipped: failing the run" in ci.stdout
    local = run_pytest(tmp_path, False, *options)
    assert local.returncode == 0, local.stdout
