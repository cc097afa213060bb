"""CI's rule that nothing skips, as a pytest hook (registered by tests/conftest.py). A module
of its own, light to import: tests/code/test_no_skips.py runs it in fresh pytest processes."""

import os

import pytest


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    """CI (`.ci/run`) installs everything the suite needs, so there a skipped test is a
    failure: a check that silently never runs is worse than none."""
    if not os.environ.get("PWC_NO_SKIPS"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(f"PWC_NO_SKIPS: {len(skipped)} test(s) skipped: failing the run")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
