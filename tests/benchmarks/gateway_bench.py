"""Gateway benchmarks (figures, not tests).

    .venv/bin/python tests/benchmarks/gateway_bench.py

1. In-process cost of one request through the gateway: verify (TC3) + route + validate + envelope
   (+ building the audit event), with the credential already cached and the audit event kept in
   memory, against the goal of 0.2 ms.
2. Signed requests/s through the local endpoint with the official SDK's keep-alive session, the
   server process pinned to one core and the client to the other, against the goal of 300/s;
   beside it, the same app behind Chalice's stock local server (`chalice local`) in the same run.
"""
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "benchmarks"))

from bench_stack import child_stack, serve_child  # noqa: E402


def in_process(n: int = 20000) -> dict:
    from helpers import tc3_request
    from layers import identity
    from layers.gateway.pipeline import Gateway

    acct = {"SecretId": "AKID" + "b" * 32, "SecretKey": "k" * 32}
    cred = identity.Credential(secret_id=acct["SecretId"], secret_key=acct["SecretKey"], uin="1", owner_uin="1",
                               app_id="1", enabled=True, temporary=False, token="", expires_at=0, policy=("*",),
                               operator=False, rate_limit=0)

    class Cached:
        def get(self, secret_id):
            return cred if secret_id == cred.secret_id else None

    class Unlimited:
        def allow(self, *a):
            return True

    class Memory:
        def __init__(self):
            self.events = []

        def emit(self, event):
            self.events.append(event)

    gw = Gateway(credentials=Cached(), limiter=Unlimited(), emitter=Memory(), nonce_first_use=lambda *a: True)
    reqs = [tc3_request(acct, "DescribeRegions", {}) for _ in range(n)]
    for r in reqs[:500]:
        gw.handle(r)
    samples = []
    for chunk in range(0, n, 1000):
        t = time.perf_counter()
        for r in reqs[chunk:chunk + 1000]:
            gw.handle(r)
        samples.append((time.perf_counter() - t) / 1000)
    return {"median_ms": statistics.median(samples) * 1000, "best_ms": min(samples) * 1000}


def _server(state_path: str) -> None:
    """Child process: the local stack with two front ends on the same app."""
    from chalice.config import Config
    from chalice.local import LocalDevServer
    from infra.devserver import ServerThread
    from infra.local_stack import LocalStack
    from layers import identity
    import threading

    stack = LocalStack(port=0, serve_http=False, run_pump=False, audit_delivery="spool").start()
    tuned = ServerThread(stack.app, "127.0.0.1", 0).start()
    # What `chalice local` runs: the same app class switch (done once, by ServerThread) and the
    # stock request handler and server.
    stock = LocalDevServer(stack.app, Config.create(chalice_app=stack.app, project_dir=str(ROOT)), "127.0.0.1", 0)
    threading.Thread(target=stock.server.serve_forever, daemon=True).start()
    acct = identity.create_account("bench", rate_limit=1_000_000)
    key = identity.create_key(acct["OwnerUin"])
    serve_child(stack, state_path, {"tuned": tuned.port, "stock": stock.server.server_address[1], **key})


def through_endpoint(seconds: float = 5.0) -> dict:
    from tencentcloud.common import credential
    from tencentcloud.common.common_client import CommonClient
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile

    with child_stack(__file__, timeout=60) as info:
        cred = credential.Credential(info["SecretId"], info["SecretKey"])
        results = {}
        for name in ("tuned", "stock"):
            profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=f"127.0.0.1:{info[name]}"))
            client = CommonClient("cloudhsm", "2019-11-12", cred, "ap-guangzhou", profile)
            for _ in range(20):
                client.call_json("DescribeRegions", {})
            count, start = 0, time.perf_counter()
            budget = seconds if name == "tuned" else min(seconds, 3.0)
            while time.perf_counter() - start < budget:
                client.call_json("DescribeRegions", {})
                count += 1
            results[name] = count / (time.perf_counter() - start)
        return results


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--server":
        _server(sys.argv[2])
        return
    os.environ.setdefault("GZ_AUDIT_SPOOL_DIR", tempfile.mkdtemp())
    ip = in_process()
    print("Gateway in process (TC3 verify + route + validate + envelope + audit event)")
    print(f"  per request   {ip['median_ms']:.3f} ms median of 20 runs of 1000 ({ip['best_ms']:.3f} ms best)   "
          f"goal <= 0.200 ms   {'PASS' if ip['median_ms'] <= 0.2 else 'MISS'}")
    ep = through_endpoint()
    print("Signed requests/s through the local endpoint (official SDK, keep-alive, server on one core)")
    print(f"  guardzone local server   {ep['tuned']:8.0f} req/s   goal >= 300   {'PASS' if ep['tuned'] >= 300 else 'MISS'}")
    print(f"  stock `chalice local`    {ep['stock']:8.0f} req/s   (same app, same run)")


if __name__ == "__main__":
    main()
