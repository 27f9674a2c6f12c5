"""Operational logging: Chalice sets its app logger ("guardzone") to ERROR with a stdout handler of
its own; layers/logs.py (called by app.py) makes guardzone.* warnings and info reach the process's
root handler, once, at GZ_LOG_LEVEL (default INFO)."""
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines = []

    def emit(self, record) -> None:
        self.lines.append((record.name, record.levelname, record.getMessage()))


@pytest.fixture
def root_records():
    handler = Collect()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler.lines
    root.removeHandler(handler)


def test_the_app_lets_guardzone_warnings_and_info_through_once(root_records):
    import app  # noqa: F401  (creating the app configures logging)
    logging.getLogger("guardzone.audit").warning("audit shipping paused (%s)", "test")
    logging.getLogger("guardzone.audit").info("moved %d audit events", 3)
    logging.getLogger("guardzone.http").debug("one line per request")
    assert root_records == [("guardzone.audit", "WARNING", "audit shipping paused (test)"),
                            ("guardzone.audit", "INFO", "moved 3 audit events")]
    assert logging.getLogger("guardzone").handlers == []    # Chalice's own handler would print it twice


def _run(script: str, **env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "GZ_LOG_LEVEL"}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env={**environ, **env}, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out


EMIT = """
import logging
import app
logging.getLogger("guardzone.audit").warning("kept in the outbox")
logging.getLogger("guardzone.audit").info("moved 3 audit events")
"""


def test_a_process_without_logging_set_up_gets_one_stderr_line_each():
    out = _run(EMIT)
    assert out.stderr.count("guardzone.audit WARNING kept in the outbox") == 1
    assert out.stderr.count("guardzone.audit INFO moved 3 audit events") == 1
    assert "outbox" not in out.stdout        # stdout is for results (python -m infra.invoke prints JSON)


def test_the_root_handler_a_host_set_up_writes_each_line_once():
    # As on Lambda (its handler on the root logger), in `chalice local` and the local stack (basicConfig).
    host = "import logging, sys\nlogging.basicConfig(stream=sys.stdout, format='HOST %(levelname)s %(message)s')\n"
    out = _run(host + EMIT)
    assert out.stdout.splitlines() == ["HOST WARNING kept in the outbox", "HOST INFO moved 3 audit events"]
    assert out.stderr == ""


def test_gz_log_level_sets_the_level():
    out = _run(EMIT, GZ_LOG_LEVEL="warning")
    assert "kept in the outbox" in out.stderr and "moved 3" not in out.stderr
    out = _run(EMIT, GZ_LOG_LEVEL="loud")
    assert "GZ_LOG_LEVEL='LOUD' is not a logging level; INFO is used" in out.stderr and "moved 3" in out.stderr
