"""PKCS#11 benchmark (figures, not tests).

    .venv/bin/python tests/benchmarks/hsm_pkcs11.py [--seconds 5]

SM2 sign and RSA-2048 sign per second and p99 latency, one operation at a time, through
libguardzone-pkcs11.so (python-pkcs11 as the application: C_SignInit + C_Sign, each a signed
SignByAsymmetricKey call behind the library) beside the same operation through the JSON API (the
typed KmsClient, keep-alive), and the seed's TASS figures (SM2 sign 3,000/s, RSA-2048 private-key
400/s, counted inside an HSM). The server (the local stack: moto, the app) is pinned to one core and
the client to the other.
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
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests" / "e2e" / "cloudhsm"))
sys.path.insert(0, str(ROOT / "tests" / "integration" / "hsm"))

from bench_stack import child_stack, serve_child  # noqa: E402
from bench_stats import pct  # noqa: E402
from hsm_support import vendor  # noqa: E402

TASS = {"SM2 sign": 3000, "RSA-2048 sign": 400}


def _server(state_path: str) -> None:
    """Child process: the local stack, an unthrottled account with one VSM."""
    os.environ.setdefault("GZ_AUDIT_SPOOL_DIR", tempfile.mkdtemp(prefix="p11-bench-spool-"))
    from infra.local_stack import LocalStack
    from layers import aws, identity
    from hsm_helpers import REGION, Common, create_vsm, make_network

    stack = LocalStack(port=0, run_pump=False, audit_delivery="spool").start()
    account = identity.create_account("p11-bench", rate_limit=1_000_000)
    acct = {**account, **identity.create_key(account["OwnerUin"])}
    net = make_network(aws.client("ec2", REGION), acct["OwnerUin"])
    vsm = create_vsm(Common(stack.endpoint, acct), net)["ResourceIds"][0]
    serve_child(stack, state_path, {"endpoint": stack.endpoint, "vsm": vsm, **acct})


def _measure(fn, seconds: float):
    for _ in range(10):
        fn()
    lat, start = [], time.perf_counter()
    while time.perf_counter() - start < seconds:
        t = time.perf_counter()
        fn()
        lat.append((time.perf_counter() - t) * 1000)
    return len(lat) / (time.perf_counter() - start), pct(lat, 99)


def run(seconds: float) -> dict:
    import pkcs11
    from pkcs11 import Attribute, KeyType, Mechanism
    from tencentcloud.common import credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.kms.v20190118 import kms_client, models
    from layers.hsm_native.build import ensure_built

    lib_path = str(ensure_built())
    work = Path(tempfile.mkdtemp())
    with child_stack(__file__) as info:
        conf = work / "pkcs11.conf"
        conf.write_text(f"[guardzone]\nendpoint = http://{info['endpoint']}\nregion = ap-guangzhou\n"
                        f"secret_id = {info['SecretId']}\nslots = {info['vsm']}\n")
        os.environ["GUARDZONE_PKCS11_CONF"] = str(conf)
        lib = pkcs11.lib(lib_path)
        session = lib.get_token(token_serial=info["vsm"].encode()).open(user_pin=info["SecretKey"], rw=True)
        sm2_gen, sm3_sm2 = vendor(Mechanism, "SM2_KEY_PAIR_GEN", 0x80008001), vendor(Mechanism, "SM3_SM2", 0x80008100)
        vendor(KeyType, "SM2", 0x80000004)                  # the library's vendor numbers (docs/cloudhsm.md)
        params = session.create_domain_parameters(KeyType.EC, {Attribute.EC_PARAMS: bytes.fromhex("06082a811ccf5501822d")},
                                                  local=True)
        _, sm2_priv = params.generate_keypair(store=True, label="bench-sm2", mechanism=sm2_gen)
        _, rsa_priv = session.generate_keypair(KeyType.RSA, 2048, store=True, label="bench-rsa")
        message = os.urandom(32)

        profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=info["endpoint"], keepAlive=True))
        kms = kms_client.KmsClient(credential.Credential(info["SecretId"], info["SecretKey"]), "ap-guangzhou", profile)

        def json_sign(alias, algorithm):
            req = models.ListKeyDetailRequest()
            req.from_json_string(json.dumps({"HsmClusterId": info["vsm"], "KeyUsage": "ALL", "SearchKeyAlias": alias}))
            key_id = kms.ListKeyDetail(req).KeyMetadatas[0].KeyId
            sign = models.SignByAsymmetricKeyRequest()
            sign.from_json_string(json.dumps({"KeyId": key_id, "Algorithm": algorithm,
                                              "Message": base64.b64encode(message).decode(), "MessageType": "RAW"}))
            return lambda: kms.SignByAsymmetricKey(sign)

        return {
            "SM2 sign": (_measure(lambda: sm2_priv.sign(message, mechanism=sm3_sm2), seconds),
                         _measure(json_sign("bench-sm2", "SM2DSA"), seconds)),
            "RSA-2048 sign": (_measure(lambda: rsa_priv.sign(message, mechanism=Mechanism.SHA256_RSA_PKCS), seconds),
                              _measure(json_sign("bench-rsa", "RSA_PKCS1_SHA_256"), seconds)),
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
    print(f"{'operation':<16}{'PKCS#11 /s':>12}{'p99 ms':>9}{'JSON API /s':>13}{'p99 ms':>9}   seed (TASS, inside the HSM)")
    for op, ((p_rate, p_p99), (j_rate, j_p99)) in figures.items():
        print(f"{op:<16}{p_rate:>12.0f}{p_p99:>9.1f}{j_rate:>13.0f}{j_p99:>9.1f}   {TASS[op]:,}/s")


if __name__ == "__main__":
    main()
