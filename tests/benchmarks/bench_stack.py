"""A local stack for one part of a benchmark; several, one after the other, in one process."""
from contextlib import contextmanager


@contextmanager
def local_stack(search: str, **options):
    """LocalStack(search=...) started on free ports, stopped on leaving."""
    from infra.local_stack import LocalStack
    from layers.gateway.http import set_gateway
    stack = LocalStack(port=0, search=search, **options).start()
    try:
        yield stack
    finally:
        stack.stop()
        set_gateway(None)       # its audit emitter is closed: the next stack's requests get a new one


@contextmanager
def child_stack(script: str, timeout: float = 90):
    """`script --server STATE` in a child process (a local stack whose CPU is its own), on one core
    and this process on another when there are two; yields what the child wrote to STATE (a
    dict) once it has; the child is stopped on leaving."""
    import json
    import os
    import subprocess
    import sys
    import tempfile
    import time
    from pathlib import Path

    state = Path(tempfile.mkdtemp()) / "state.json"
    proc = subprocess.Popen([sys.executable, script, "--server", str(state)], cwd=Path(script).resolve().parents[2],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while not state.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the local stack did not come up")
            time.sleep(0.2)
        cores = sorted(os.sched_getaffinity(0))
        if len(cores) > 1:
            os.sched_setaffinity(proc.pid, {cores[0]})
            os.sched_setaffinity(0, {cores[1]})
        yield json.loads(state.read_text())
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def serve_child(stack, state_path: str, info: dict) -> None:
    """The child's side of child_stack: tell the parent `info` (written whole, then renamed, so it
    never reads half of it) and serve until terminated."""
    import json
    import os
    import signal
    import time
    from pathlib import Path

    def stop(*_) -> None:
        raise SystemExit(0)         # so that `finally` stops the stack and its moto with it

    signal.signal(signal.SIGTERM, stop)
    part = Path(f"{state_path}.part")
    part.write_text(json.dumps(info))
    os.replace(part, state_path)
    try:
        while True:
            time.sleep(1)
    finally:
        stack.stop()
