"""KMS data-plane benchmark (figures, not tests).

    .venv/bin/python tests/benchmarks/kms_endpoint.py [--seconds 5]

Signed requests/s through the local endpoint with the official SDK's typed KmsClient (its keep-alive
session), the server (the local stack: moto, the app) pinned to one core and the client to the
other, one request at a time:

    ListAlgorithms        the gateway alone (signature, routing, audit): the floor of every KMS call
    Encrypt               32 bytes under an SM4 key: key + domain read from DynamoDB (moto), SM4-GCM
    SignByAsymmetricKey   SM2DSA over a 32-byte RAW message: the same reads, SM3(Z||M), one SM2 signature

printed beside the gateway's goal (300 requests/s) and the seed's TASS EVSM device figures for the
algorithm behind each call (SM4 5000 ops/s, SM2 sign 3000 ops/s), which count operations inside an
HSM, not HTTP requests.
"""
import argparse
import base64
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "benchmarks"))

from bench_stack import child_stack, serve_child  # noqa: E402

GATEWAY_GOAL = 300
TASS = {"Encrypt": ("SM4", 5000), "SignByAsymmetricKey": ("SM2 sign", 3000)}


def _server(state_path: str) -> None:
    """Child process: the local stack, an unthrottled account and its two keys."""
    os.environ.setdefault("GZ_AUDIT_SPOOL_DIR", tempfile.mkdtemp(prefix="kms-bench-spool-"))
    from infra.local_stack import LocalStack
    from layers import identity

    stack = LocalStack(port=0, run_pump=False, audit_delivery="spool").start()
    account = identity.create_account("kms-bench", rate_limit=1_000_000)
    key = identity.create_key(account["OwnerUin"])
    serve_child(stack, state_path, {"endpoint": stack.endpoint, **key})


def _client(info: dict):
    from tencentcloud.common import credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.kms.v20190118 import kms_client

    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=info["endpoint"]))
    return kms_client.KmsClient(credential.Credential(info["SecretId"], info["SecretKey"]), "ap-guangzhou", profile)


def _request(action: str, params: dict):
    from tencentcloud.kms.v20190118 import models
    request = getattr(models, f"{action}Request")()
    request.from_json_string(json.dumps(params))
    return request


def _rate(client, action: str, request, seconds: float) -> float:
    call = getattr(client, action)
    for _ in range(30):
        call(request)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        call(request)
        count += 1
    return count / (time.perf_counter() - start)


def run(seconds: float) -> dict:
    with child_stack(__file__) as info:
        client = _client(info)
        sm4 = client.CreateKey(_request("CreateKey", {"Alias": "bench-sm4"})).KeyId
        sm2 = client.CreateKey(_request("CreateKey", {"Alias": "bench-sm2",
                                                      "KeyUsage": "ASYMMETRIC_SIGN_VERIFY_SM2"})).KeyId
        message = base64.b64encode(os.urandom(32)).decode()
        return {
            "ListAlgorithms": _rate(client, "ListAlgorithms", _request("ListAlgorithms", {}), seconds),
            "Encrypt": _rate(client, "Encrypt", _request("Encrypt", {"KeyId": sm4, "Plaintext": message}), seconds),
            "SignByAsymmetricKey": _rate(client, "SignByAsymmetricKey", _request(
                "SignByAsymmetricKey", {"KeyId": sm2, "Algorithm": "SM2DSA", "Message": message}), seconds),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--server", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.server:
        _server(args.server)
        return
    figures = run(args.seconds)
    print(f"{'request':<22}{'requests/s':>12}   reference")
    print(f"{'ListAlgorithms':<22}{figures['ListAlgorithms']:>12.0f}   gateway goal {GATEWAY_GOAL}/s")
    for action in ("Encrypt", "SignByAsymmetricKey"):
        algorithm, ops = TASS[action]
        print(f"{action:<22}{figures[action]:>12.0f}   gateway goal {GATEWAY_GOAL}/s; "
              f"TASS EVSM {algorithm} {ops} ops/s (inside the HSM)")


if __name__ == "__main__":
    main()
