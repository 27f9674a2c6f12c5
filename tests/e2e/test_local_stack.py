"""The README's first command: the local stack starts, answers the SDK, carries each call's audit
event through its spool, the queue, the pump and the indexer into the embedded search store until
LookupEvents finds it, and stops cleanly on Ctrl-C (SIGINT), taking moto with it."""
import json
import os
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


def test_stack_starts_serves_and_stops_on_ctrl_c(tmp_path):
    state = tmp_path / "state.json"
    env = {**os.environ, "GZ_AUDIT_SPOOL_DIR": str(tmp_path / "spool"), "GZ_DATA_DIR": str(tmp_path / "data"),
           "HOME": str(tmp_path)}
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
        assert not _port_open(info["moto"]) and info["opensearch"] == ""
        assert Path(info["search_dir"]).is_dir()       # the embedded store's days, kept in the data folder
        assert not _port_open("http://" + info["endpoint"])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
