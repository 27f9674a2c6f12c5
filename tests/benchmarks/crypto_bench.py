"""Crypto layer throughput on one core, against the seed TASS EVSM figures and `openssl speed`.

Run from the repository root, either way:

    python tests/benchmarks/crypto_bench.py [--seconds 1.5]
    python -m tests.benchmarks.crypto_bench

The process (and every `openssl speed` child) is pinned to one CPU. Rates are
operations per second of CPU time (user + system) of this process, best of
three windows, so other load on the machine skews them less; `openssl speed`
also divides by CPU time by default. One "op" is one call through the layer:
symmetric ciphers encrypt one 16-byte message (CBC without padding, GCM with a
16-byte tag), digests and MACs process 64 bytes, SM2 signs / verifies a
32-byte message (e = SM3(Z || M) included; Z itself is cached per key
object), RSA-2048 public / private ops are PKCS#1 v1.5 SHA-256 verify / sign.

`openssl speed` figures for symmetric ciphers and digests come from its EVP
loop, which reuses one context: they show OpenSSL's per-block speed, not a
per-call cost like ours, and carry no goal. `openssl speed` has no SM2 or RSA
key-generation test, so those cells read n/a.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from layers.crypto import digest, ecc, mac, rng, rsa_keys, sm2, sm2_curve, symmetric  # noqa: E402

TASS = {
    "SM2 keygen": 4000, "SM2 sign": 3000, "SM2 verify": 2000, "SM3": 5000, "SM4": 5000,
    "AES-128": 7000, "AES-256": 6000, "RSA-2048 keygen": 10, "RSA-2048 public": 3500,
    "RSA-2048 private": 400,
}


def pin_to_one_cpu() -> int:
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def rate(fn, seconds: float) -> float:
    """Best-of-three ops per CPU-second."""
    fn()
    window = seconds / 3
    best = 0.0
    for _ in range(3):
        count = 0
        start = time.process_time()
        while True:
            for _ in range(10):
                fn()
            count += 10
            elapsed = time.process_time() - start
            if elapsed >= window:
                break
        best = max(best, count / elapsed)
    return best


def openssl_speed(cpu: int, *args: str) -> list[str]:
    """`openssl speed -mr` result lines ("+F...") pinned to cpu; [] if unavailable."""
    if shutil.which("openssl") is None:
        return []
    cmd = ["openssl", "speed", "-mr", "-seconds", "1", *args]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                             preexec_fn=lambda: os.sched_setaffinity(0, {cpu}))
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line for line in out.stdout.splitlines() if line.startswith("+F")]


def openssl_figures(cpu: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    for line in openssl_speed(cpu, "sm2"):
        f = line.split(":")
        if f[0] == "+F7":
            figures["SM2 sign"], figures["SM2 verify"] = float(f[4]), float(f[5])
    for line in openssl_speed(cpu, "rsa2048"):
        f = line.split(":")
        if f[0] == "+F2" and f[2] == "2048":
            figures["RSA-2048 private"], figures["RSA-2048 public"] = float(f[3]), float(f[4])
    for line in openssl_speed(cpu, "ecdsap256"):
        f = line.split(":")
        if f[0] == "+F4":
            figures["ECDSA P-256 sign"], figures["ECDSA P-256 verify"] = float(f[3]), float(f[4])
    for name, evp, size in (("SM3", "sm3", 64), ("SHA-256", "sha256", 64), ("SM4", "sm4-cbc", 16),
                            ("AES-128", "aes-128-cbc", 16), ("AES-256", "aes-256-cbc", 16),
                            ("AES-128-GCM", "aes-128-gcm", 16), ("3DES", "des-ede3-cbc", 16)):
        for line in openssl_speed(cpu, "-bytes", str(size), "-evp", evp):
            f = line.split(":")
            if f[0] == "+F" and re.fullmatch(r"[0-9.]+", f[-1]):
                figures[name] = float(f[-1]) / size  # bytes/s -> blocks of `size` per second
    return figures


def cases():
    """(row label, figure key, function) for every measured operation."""
    msg = os.urandom(32)
    block16 = os.urandom(16)
    data64 = os.urandom(64)
    key16, key32, key24 = os.urandom(16), os.urandom(32), os.urandom(24)
    iv16, iv8, nonce = os.urandom(16), os.urandom(8), os.urandom(12)

    sm2_key = sm2.SM2PrivateKey.generate()
    sm2_pub = sm2_key.public_key
    sm2_sig = sm2_key.sign(msg)
    sm2_pub.verify(sm2_sig, msg)
    sm2_pub.verify(sm2_sig, msg)  # second use builds the key's table
    sm2_ct = sm2_pub.encrypt(msg)

    def sm2_verify_new_key():
        sm2_curve.clear_key_cache()
        sm2_pub.verify(sm2_sig, msg)

    rsa_key = rsa_keys.generate_private_key(2048)
    rsa_pub = rsa_key.public_key()
    rsa_sig = rsa_keys.sign(rsa_key, msg, "PKCS1v15")
    ec_key = ecc.generate_private_key("P-256")
    ec_sig = ecc.ecdsa_sign(ec_key, msg)
    ec_pub = ec_key.public_key()

    return [
        ("SM2 keygen", "SM2 keygen", sm2.SM2PrivateKey.generate),
        ("SM2 sign (32 B message)", "SM2 sign", lambda: sm2_key.sign(msg)),
        ("SM2 verify (key seen before)", "SM2 verify", lambda: sm2_pub.verify(sm2_sig, msg)),
        ("SM2 verify (first use of a key)", None, sm2_verify_new_key),
        ("SM2 encrypt (32 B)", None, lambda: sm2_pub.encrypt(msg)),
        ("SM2 decrypt (32 B)", None, lambda: sm2_key.decrypt(sm2_ct)),
        ("SM3 (64 B)", "SM3", lambda: digest.digest("SM3", data64)),
        ("SM4-CBC encrypt (16 B)", "SM4",
         lambda: symmetric.encrypt("SM4", "CBC", key16, block16, iv=iv16, padding=False)),
        ("SM4-GCM encrypt (16 B)", None, lambda: symmetric.gcm_encrypt("SM4", key16, nonce, block16)),
        ("AES-128-CBC encrypt (16 B)", "AES-128",
         lambda: symmetric.encrypt("AES", "CBC", key16, block16, iv=iv16, padding=False)),
        ("AES-256-CBC encrypt (16 B)", "AES-256",
         lambda: symmetric.encrypt("AES", "CBC", key32, block16, iv=iv16, padding=False)),
        ("AES-128-GCM encrypt (16 B)", "AES-128-GCM",
         lambda: symmetric.gcm_encrypt("AES", key16, nonce, block16)),
        ("3DES-CBC encrypt (16 B)", "3DES",
         lambda: symmetric.encrypt("3DES", "CBC", key24, block16, iv=iv8, padding=False)),
        ("SHA-256 (64 B)", "SHA-256", lambda: digest.digest("SHA256", data64)),
        ("HMAC-SM3 (64 B)", None, lambda: mac.hmac("SM3", key32, data64)),
        ("CMAC-SM4 (64 B)", None, lambda: mac.cmac("SM4", key16, data64)),
        ("random_bytes(32)", None, lambda: rng.random_bytes(32)),
        ("RSA-2048 keygen", "RSA-2048 keygen", lambda: rsa_keys.generate_private_key(2048)),
        ("RSA-2048 public (verify)", "RSA-2048 public",
         lambda: rsa_keys.verify(rsa_pub, rsa_sig, msg, "PKCS1v15")),
        ("RSA-2048 private (sign)", "RSA-2048 private", lambda: rsa_keys.sign(rsa_key, msg, "PKCS1v15")),
        ("ECDSA P-256 sign", "ECDSA P-256 sign", lambda: ecc.ecdsa_sign(ec_key, msg)),
        ("ECDSA P-256 verify", "ECDSA P-256 verify", lambda: ecc.ecdsa_verify(ec_pub, ec_sig, msg)),
    ]


def goal(key: str | None, ours: float, openssl: float | None) -> tuple[str, str]:
    """(goal text, PASS / FAIL / -) for a row."""
    if key is None or key not in TASS:
        return "-", "-"
    tass = TASS[key]
    if key.startswith("SM2"):
        parts = [f">= {1.5 * tass:,.0f} (1.5x TASS)"]
        ok = ours >= 1.5 * tass
        if openssl:
            parts.append(f">= {2 * openssl:,.0f} (2x OpenSSL)")
            ok = ok and ours >= 2 * openssl
        return " and ".join(parts), "PASS" if ok else "FAIL"
    if key == "RSA-2048 private":
        return f">= {2.5 * tass:,.0f} (2.5x TASS)", "PASS" if ours >= 2.5 * tass else "FAIL"
    if key in ("SM3", "SM4", "AES-128", "AES-256"):
        return f">= {10 * tass:,.0f} (10x TASS)", "PASS" if ours >= 10 * tass else "FAIL"
    return "-", "-"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="CPU seconds per operation (default 1.5)")
    args = parser.parse_args(argv)

    cpu = pin_to_one_cpu()
    t0 = time.time()
    print(f"pinned to CPU {cpu}; measuring `openssl speed` ...", flush=True)
    figures = openssl_figures(cpu)
    print("measuring the crypto layer ...", flush=True)
    rows = []
    for label, key, fn in cases():
        ours = rate(fn, args.seconds)
        rows.append((label, key, ours))
        print(f"  {label:34s} {ours:>12,.0f} ops/s", flush=True)

    header = ("algorithm", "ours ops/s", "TASS EVSM", "openssl speed", "goal", "result")
    table = []
    for label, key, ours in rows:
        tass = TASS.get(key) if key else None
        openssl = figures.get(key) if key else None
        goal_text, result = goal(key, ours, openssl)
        table.append((
            label,
            f"{ours:,.0f}",
            f"{tass:,}" if tass else "-",
            f"{openssl:,.0f}" if openssl else "n/a",
            goal_text,
            result,
        ))
    widths = [max(len(str(r[i])) for r in [header, *table]) for i in range(len(header))]
    print()
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip())
    print("-+-".join("-" * w for w in widths))
    for r in table:
        print(" | ".join(str(c).ljust(w) if i in (0, 4, 5) else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(r, widths))).rstrip())
    print(f"\n{len(rows)} operations in {time.time() - t0:.0f} s wall time")
    return 1 if any(r[5] == "FAIL" for r in table) else 0


if __name__ == "__main__":
    sys.exit(main())
