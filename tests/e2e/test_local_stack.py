"""The README's first command: the local stack starts, answers the SDK, ships audit events through
its spool, and stops cleanly on Ctrl-C (SIGINT), taking moto and osmem-server with it."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3

from helpers import common_client

ROOT = Path(__file__).resolve().parents[2]


def _port_open(url: str) -> bool:
    host, port = url.split("//", 1)[1].split(":")
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, int(port))) == 0


def test_stack_starts_serves_and_stops_on_ctrl_c(tmp_path):
    state = tmp_path / "state.json"
    env = {**os.environ, "GZ_AUDIT_SPOOL_DIR": str(tmp_path / "spool")}
    for name in ("GZ_AWS_ENDPOINT", "GZ_OPENSEARCH_URL", "GZ_AUDIT_DELIVERY"):
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
        sqs = boto3.client("sqs", endpoint_url=info["moto"], region_name="us-east-1",
                           aws_access_key_id="local", aws_secret_access_key="local")
        seen, deadline = [], time.monotonic() + 20
        while request_id not in seen and time.monotonic() < deadline:
            for m in sqs.receive_message(QueueUrl=info["audit_queue_url"], MaxNumberOfMessages=10,
                                         WaitTimeSeconds=1).get("Messages", []):
                seen.append(json.loads(m["Body"])["RequestId"])
        assert request_id in seen
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, out[-2000:]
        assert "SecretKey" in out and "tccli cloudhsm" in out and "HttpProfile(protocol=\"http\"" in out
        assert not _port_open(info["moto"]) and not _port_open(info["opensearch"])
        assert not _port_open("http://" + info["endpoint"])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
