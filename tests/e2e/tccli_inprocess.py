"""tccli run in this process (its own CLICommand, which the `tccli` command's `main` runs), so a test
can make hundreds of calls through it without paying, each time, the interpreter's start and
tccli's building of its command table for every service (a third of a second): one table is built
per caller and used for each of its calls.

    call = TccliCaller(endpoint, account, "kms", "2019-01-18", home=tmp_path)
    call("DescribeKey", KeyId="...")   # -> the Response object tccli printed; an error raises TccliError

Parameters are given as to the SDK: strings as they are, everything else as JSON (tccli parses
each by the action's own model).
"""
import contextlib
import io
import json
import os
import sys
from typing import Any, Dict

from tccli.command import CLICommand


class TccliError(Exception):
    pass


class _Kept(io.BytesIO):
    """What tccli printed, kept readable after it closes its output."""

    def close(self) -> None:
        pass


def _arg(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


class TccliCaller:
    def __init__(self, endpoint: str, account: Dict[str, str], service: str, version: str, *, home: str,
                 region: str = "ap-guangzhou") -> None:
        self.base = ["--version", version, "--region", region, "--endpoint", f"http://{endpoint}",
                     "--secretId", account["SecretId"], "--secretKey", account["SecretKey"]]
        self.service, self.home = service, str(home)
        self.command = None

    def __call__(self, action: str, **params) -> dict:
        argv = ["tccli", self.service, action, *self.base]
        for name, value in params.items():
            argv += [f"--{name}", _arg(value)]
        out = io.TextIOWrapper(_Kept(), encoding="utf-8")     # tccli writes to sys.stdout.buffer
        err = io.StringIO()
        saved_argv, saved_home = sys.argv, os.environ.get("HOME")
        sys.argv, os.environ["HOME"] = argv, self.home
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                if self.command is None:
                    self.command = CLICommand()     # its table, built on first use, reads argv's service
                try:
                    status = self.command(argv[1:]) or 0
                except SystemExit as exit_:
                    status = exit_.code
                except Exception as exc:          # what `main` would print, exiting 255
                    err.write(f"{type(exc).__name__}: {exc}")
                    status = 255
        finally:
            sys.argv = saved_argv
            if saved_home is None:
                os.environ.pop("HOME", None)
            else:
                os.environ["HOME"] = saved_home
        out.flush()
        printed = out.buffer.getvalue().decode("utf-8")
        if status:
            raise TccliError(f"tccli {self.service} {action} exited {status}: {printed}{err.getvalue()}")
        return json.loads(printed)
