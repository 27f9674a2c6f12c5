"""The README's first command: the local stack starts, answers the SDK, carries each call's audit
event through its spool, the queue, the pump and the indexer into the embedded search store until
LookupEvents finds it, and stops cleanly on Ctrl-C (SIGINT), taking moto with it."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from helpers import common_client

ROOT = Path(__file__).resolve().parents[2]


def _port_open(url: str) -> bool:
    host, port = url.split("//", 1)[1].split(":")
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, int(port))) == 0


def run_over_ssh(login: dict, folder: Path, command: str) -> str:
    """The command through the gateway with OpenSSH's client where it is installed (its prompts
    answered by an askpass program), else asyncssh's."""
    import pyotp
    code = pyotp.TOTP(login["totp_secret"]).now()
    if shutil.which("ssh"):
        askpass = folder / "askpass.sh"
        askpass.write_text(f"#!/bin/sh\ncase \"$1\" in *code*) echo {code};; *) echo '{login['password']}';; esac\n")
        askpass.chmod(0o700)
        done = subprocess.run(
            ["ssh", "-p", str(login["port"]), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
             "-o", "PreferredAuthentications=keyboard-interactive", "-o", "LogLevel=ERROR",
             f"{login['username']}@{login['host']}", command],
            env={**os.environ, "SSH_ASKPASS": str(askpass), "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0"},
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout
    import asyncio
    import asyncssh

    class Answers(asyncssh.SSHClient):
        def kbdint_auth_requested(self):
            return ""

        def kbdint_challenge_received(self, name, instructions, lang, prompts):
            return [code if "code" in p else login["password"] for p, _ in prompts]

    async def go():
        conn, _ = await asyncssh.create_connection(Answers, login["host"], login["port"], username=login["username"],
                                                   known_hosts=None, preferred_auth="keyboard-interactive")
        async with conn:
            return (await conn.run(command, check=True)).stdout
    return asyncio.run(go())


def test_stack_starts_serves_and_stops_on_ctrl_c(tmp_path):
    state = tmp_path / "state.json"
    env = {**os.environ, "GZ_AUDIT_SPOOL_DIR": str(tmp_path / "spool"), "GZ_DATA_DIR": str(tmp_path / "data"),
           "HOME": str(tmp_path), "GZ_SSH_PORT": "0"}
    for name in ("GZ_AWS_ENDPOINT", "GZ_OPENSEARCH_URL", "GZ_AUDIT_DELIVERY", "GZ_FRESH", "GZ_TCCLI_PROFILE"):
        env.pop(name, None)
    proc = subprocess.Popen([sys.executable, "-m", "infra.local_stack", "--port", "0", "--state", str(state)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 90
        while not state.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "the stack did not come up"
            time.sleep(0.2)
        info = json.loads(state.read_text())
        client = common_client(info["endpoint"], info, "cloudhsm", "2019-11-12")
        request_id = client.call_json("DescribeRegions", {})["Response"]["RequestId"]
        # The call's audit event goes spool → queue → pump → indexer → OpenSearch → LookupEvents.
        audit = common_client(info["endpoint"], info, "cloudaudit", "2019-03-04")
        now_ms = int(time.time() * 1000)
        query = {"StartTime": now_ms - 600_000, "EndTime": now_ms + 600_000,
                 "LookupAttributes": [{"AttributeKey": "RequestId", "AttributeValue": request_id}]}
        found, deadline = [], time.monotonic() + 30
        while not found and time.monotonic() < deadline:
            found = audit.call_json("LookupEvents", query)["Response"]["Events"]
            time.sleep(0.2)
        assert [e["EventName"] for e in found] == ["DescribeRegions"]
        # the demo login the state file names reaches a bash through the bastion's SSH gateway
        assert run_over_ssh(info["ssh"], tmp_path, "echo via-$((40+2))") == "via-42\n"
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
            raise AssertionError("the stack did not stop within 120 s of Ctrl-C; its output:\n" + out[-4000:])
        assert proc.returncode == 0, out[-2000:]
        assert "SecretKey" in out and "tccli --profile guardzone cloudhsm" in out
        assert "HttpProfile(protocol=\"http\"" in out
        assert f"ssh -p {info['ssh']['port']} {info['ssh']['username']}@127.0.0.1" in out
        assert not _port_open(info["moto"]) and info["opensearch"] == ""
        assert Path(info["search_dir"]).is_dir()       # the embedded store's days, kept in the data folder
        assert not _port_open("http://" + info["endpoint"])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
