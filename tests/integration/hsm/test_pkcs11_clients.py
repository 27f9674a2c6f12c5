"""Real PKCS#11 clients against libguardzone-pkcs11.so, each in its own process: OpenSC's pkcs11-tool,
OpenSSL 3 through pkcs11-provider, and Java's SunPKCS11. Each skips, saying why, when its tool is missing and infra/debian_deps.sh cannot install it."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hsm_support import ROOT, tool_env

TOOL = "/usr/bin/pkcs11-tool"
PROVIDER = "/usr/lib/x86_64-linux-gnu/ossl-modules/pkcs11.so"          # Debian's pkcs11-provider
_tried = set()


def need(name: str, path: str) -> None:
    if not os.path.exists(path) and name not in _tried:
        _tried.add(name)
        subprocess.run(["sh", str(ROOT / "infra" / "debian_deps.sh"), name], check=False, timeout=600,
                       capture_output=True)
    if not os.path.exists(path):
        pytest.skip(f"needs {path} (infra/debian_deps.sh {name}: no apt-get, not root, or the install failed)")


def run(cmd, tenant, **kw):
    p = subprocess.run(cmd, env=tool_env(tenant.conf), capture_output=True, text=True, timeout=60, **kw)
    assert p.returncode == 0, f"{cmd[0]} failed: {p.stdout}\n{p.stderr}"
    return p.stdout + p.stderr


def test_pkcs11_tool_lists_generates_signs_and_verifies(tenant, hsm_lib, tmp_path):
    need("opensc", TOOL)
    base = [TOOL, "--module", hsm_lib]
    assert f"serial num         : {tenant.vsm}" in run(base + ["-L"], tenant)
    p11 = base + ["--login", "--pin", tenant.pin]
    run(p11 + ["--keypairgen", "--key-type", "rsa:2048", "--id", "a1", "--label", "tool-rsa"], tenant)
    run(p11 + ["--keypairgen", "--key-type", "EC:prime256v1", "--id", "a2", "--label", "tool-ec"], tenant)
    listed = run(p11 + ["-O"], tenant)
    assert "Private Key Object; RSA" in listed and "label:      tool-rsa" in listed and "ID:         a1" in listed
    assert "never extractable" in listed and "EC_PARAMS:  06082a8648ce3d030107" in listed
    data, bad = tmp_path / "data", tmp_path / "bad"
    data.write_bytes(b"signed in the VSM")
    bad.write_bytes(b"something else")
    for key_id, mech in (("a1", "SHA256-RSA-PKCS"), ("a1", "SHA256-RSA-PKCS-PSS"), ("a2", "ECDSA-SHA256")):
        sig = tmp_path / f"{key_id}-{mech}.sig"
        run(p11 + ["--sign", "--mechanism", mech, "--id", key_id, "-i", str(data), "-o", str(sig)], tenant)
        assert "Signature is valid" in run(p11 + ["--verify", "--mechanism", mech, "--id", key_id, "-i", str(data),
                                                  "--signature-file", str(sig)], tenant)
        assert "Invalid signature" in run(p11 + ["--verify", "--mechanism", mech, "--id", key_id, "-i", str(bad),
                                                 "--signature-file", str(sig)], tenant)
    # without the PIN: slots yes, private objects no
    assert "Private Key Object" not in run(base + ["-O"], tenant)


@pytest.mark.parametrize("key_type,label", [("rsa:2048", "csr-rsa"), ("EC:prime256v1", "csr-ec")])
def test_openssl_signs_a_certificate_request_with_a_vsm_key(tenant, hsm_lib, tmp_path, key_type, label):
    need("pkcs11prov", PROVIDER)
    run([TOOL if os.path.exists(TOOL) else pytest.skip("needs pkcs11-tool to make the key"), "--module", hsm_lib,
         "--login", "--pin", tenant.pin, "--keypairgen", "--key-type", key_type, "--label", label], tenant)
    conf, csr = tmp_path / "openssl.cnf", tmp_path / "req.pem"
    conf.write_text(f"openssl_conf = init\n[init]\nproviders = providers\n[providers]\ndefault = on\npkcs11 = p11\n"
                    f"[on]\nactivate = 1\n[p11]\nmodule = {PROVIDER}\npkcs11-module-path = {hsm_lib}\nactivate = 1\n"
                    "[req]\ndistinguished_name = dn\n[dn]\n")
    cmd = ["openssl", "req", "-new", "-key", f"pkcs11:object={label};type=private;pin-value={tenant.pin}"]
    env = {**tool_env(tenant.conf), "OPENSSL_CONF": str(conf)}
    p = subprocess.run(cmd + ["-subj", "/CN=vsm.example", "-sha256", "-out", str(csr)], env=env, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    # checked by plain OpenSSL (no module): the request verifies, and its key is the VSM key's public half
    out = subprocess.run(["openssl", "req", "-in", str(csr), "-verify", "-noout"], capture_output=True,
                         text=True, env={k: v for k, v in os.environ.items() if k != "OPENSSL_CONF"})
    assert out.returncode == 0 and "verify OK" in out.stdout + out.stderr
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from helpers import common_client
    kms = common_client(tenant.endpoint, tenant.acct, "kms", "2019-01-18")
    keys = kms.call_json("ListKeyDetail", {"HsmClusterId": tenant.vsm, "KeyUsage": "ALL", "SearchKeyAlias": label})
    pem = kms.call_json("GetPublicKey", {"KeyId": keys["Response"]["KeyMetadatas"][0]["KeyId"]})["Response"]["PublicKeyPem"]
    der = serialization.PublicFormat.SubjectPublicKeyInfo
    requested = x509.load_pem_x509_csr(csr.read_bytes()).public_key().public_bytes(serialization.Encoding.DER, der)
    assert requested == serialization.load_pem_public_key(pem.encode()).public_bytes(serialization.Encoding.DER, der)


def test_java_sunpkcs11_signs_and_verifies(tenant, hsm_lib, tmp_path):
    java, javac = shutil.which("java") or "/usr/bin/java", shutil.which("javac")
    if not os.path.exists(java) or javac is None:
        pytest.skip("needs a JDK (java and javac)")
    src = Path(__file__).parent / "java" / "P11Sign.java"
    subprocess.run([javac, "-d", str(tmp_path), str(src)], check=True, timeout=120)
    cfg = tmp_path / "p11.cfg"
    cfg.write_text(f"name = Guardzone\nlibrary = {hsm_lib}\nslotListIndex = 0\n")
    out = run([java, "-cp", str(tmp_path), "P11Sign", str(cfg), tenant.pin], tenant)
    assert "SHA256withRSA token=true jdk=true tampered=false" in out
    assert "SHA256withECDSA token=true jdk=true tampered=false" in out
    # the key pairs were session objects (CKA_TOKEN false): VSM keys marked as such, which no other
    # process lists as token objects (Java exits without closing its sessions, so they are not deleted)
    from helpers import common_client
    kms = common_client(tenant.endpoint, tenant.acct, "kms", "2019-01-18")
    keys = kms.call_json("ListKeyDetail", {"HsmClusterId": tenant.vsm, "KeyUsage": "ALL"})["Response"]["KeyMetadatas"]
    session_keys = [k for k in keys if k["Description"].endswith(" session")]
    assert sorted(k["KeyUsage"] for k in session_keys) == ["ASYMMETRIC_SIGN_VERIFY_ECC", "ASYMMETRIC_SIGN_VERIFY_RSA_2048"]
    if os.path.exists(TOOL):
        listed = run([TOOL, "--module", hsm_lib, "--login", "--pin", tenant.pin, "-O"], tenant)
        assert not any(k["Alias"] in listed for k in session_keys)


def test_pkcs11_3_clients_find_the_v2_40_function_list_through_c_get_interface(hsm_lib):
    import ctypes

    class Version(ctypes.Structure):
        _fields_ = [("major", ctypes.c_ubyte), ("minor", ctypes.c_ubyte)]

    class Interface(ctypes.Structure):
        _fields_ = [("name", ctypes.c_char_p), ("functions", ctypes.c_void_p), ("flags", ctypes.c_ulong)]

    lib = ctypes.CDLL(hsm_lib)
    lib.C_GetInterfaceList.argtypes = [ctypes.POINTER(Interface), ctypes.POINTER(ctypes.c_ulong)]
    lib.C_GetInterface.argtypes = [ctypes.c_char_p, ctypes.POINTER(Version), ctypes.POINTER(ctypes.POINTER(Interface)),
                                   ctypes.c_ulong]
    for fn in (lib.C_GetInterfaceList, lib.C_GetInterface, lib.C_GetFunctionList):
        fn.restype = ctypes.c_ulong
    table = ctypes.c_void_p()
    assert lib.C_GetFunctionList(ctypes.byref(table)) == 0
    count = ctypes.c_ulong(0)
    assert lib.C_GetInterfaceList(None, ctypes.byref(count)) == 0 and count.value == 1
    count.value = 0
    assert lib.C_GetInterfaceList((Interface * 1)(), ctypes.byref(count)) == 0x150     # CKR_BUFFER_TOO_SMALL
    listed = (Interface * 1)()
    count.value = 1
    assert lib.C_GetInterfaceList(listed, ctypes.byref(count)) == 0
    assert (listed[0].name, listed[0].functions, listed[0].flags) == (b"PKCS 11", table.value, 0)
    version = ctypes.cast(table, ctypes.POINTER(Version)).contents               # the table starts with its version
    assert (version.major, version.minor) == (2, 40)
    found = ctypes.POINTER(Interface)()
    for name, ver in ((None, None), (b"PKCS 11", None), (b"PKCS 11", Version(2, 40))):
        assert lib.C_GetInterface(name, ctypes.byref(ver) if ver else None, ctypes.byref(found), 0) == 0
        assert found.contents.functions == table.value
    for name, ver, flags in ((b"PKCS 11", Version(3, 0), 0), (b"Vendor X", None, 0), (None, None, 1)):  # 1: fork-safe
        assert lib.C_GetInterface(name, ctypes.byref(ver) if ver else None, ctypes.byref(found), flags) == 7
    assert lib.C_GetInterface(None, None, None, 0) == 7                                   # CKR_ARGUMENTS_BAD
