"""GM/T 0018 SDF through libguardzone-pkcs11.so: a C program (sdf_demo.c, compiled here with gcc against
layers/hsm_native/sdf_api.h) signs with an SM2 key of a VSM, encrypts and decrypts with SM4 session
keys under an internal SM2 key and a KEK, hashes with SM3; ctypes calls check the SDR_* codes."""
import base64
import ctypes
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT / "tests" / "e2e" / "kms"))

from kms_helpers import Kms, make_vsm, new_account, unb64  # noqa: E402

from layers.crypto import sm2, symmetric  # noqa: E402

# The header's constants, as a C caller sees them. (layers.hsm_native.sdf is not imported here: the
# library, loaded into this process below, must be the first to import it.)
S = SimpleNamespace(**{m[1]: int(m[2], 0) for m in re.finditer(
    r"^#define (\w+) (0x[0-9A-Fa-f]+|\d+)$", (ROOT / "layers/hsm_native/sdf_api.h").read_text(), re.M)})

SM3_ABC = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
MESSAGE = "pay 100 to account 42"


def _unavailable():
    return None if shutil.which("gcc") else "gcc is not installed: the SDF C test program cannot be compiled"


@pytest.fixture(scope="module")
def vsm_device(stack, tmp_path_factory):
    """An account with a VSM holding the SDF keys of index 1, and a config file naming that VSM (no
    secret in it: the access-right password is the SecretKey)."""
    acct = new_account("sdf")
    kms = Kms(stack.endpoint, acct)
    vsm = make_vsm(acct["OwnerUin"])["ResourceId"]
    for alias, usage in (("sdf-1-sign", "ASYMMETRIC_SIGN_VERIFY_SM2"), ("sdf-1-enc", "ASYMMETRIC_DECRYPT_SM2"),
                         ("sdf-1-kek", "ENCRYPT_DECRYPT")):
        kms.call("CreateKey", {"Alias": alias, "KeyUsage": usage, "HsmClusterId": vsm})
    conf = tmp_path_factory.mktemp("sdf") / "pkcs11.conf"
    conf.write_text(f"[guardzone]\nendpoint = http://{stack.endpoint}\nregion = ap-guangzhou\n"
                    f"secret_id = {acct['SecretId']}\n\n[sdf]\nvsm = {vsm}\n")
    return {"acct": acct, "kms": kms, "vsm": vsm, "conf": str(conf)}


@pytest.fixture(scope="module")
def library():
    """The library `make hsm-lib` builds (or the one GUARDZONE_HSM_LIBRARY names)."""
    if os.environ.get("GUARDZONE_HSM_LIBRARY"):
        return Path(os.environ["GUARDZONE_HSM_LIBRARY"])
    why = _unavailable()
    if why:
        pytest.skip(why + ", nor the library built")
    from layers.hsm_native.build import ensure_built
    return ensure_built()


@pytest.fixture(scope="module")
def demo(library, vsm_device, tmp_path_factory):
    """Compiles and runs sdf_demo.c once; its name=value lines as a dict."""
    exe = tmp_path_factory.mktemp("sdfc") / "sdf_demo"
    subprocess.run(["gcc", "-Wall", "-Werror", "-o", str(exe), str(HERE / "sdf_demo.c"),
                    "-I", str(ROOT / "layers" / "hsm_native"), str(library), f"-Wl,-rpath,{library.parent}"],
                   check=True, capture_output=True, timeout=60)
    env = {**os.environ, "GUARDZONE_PKCS11_CONF": vsm_device["conf"]}
    run = subprocess.run([str(exe), vsm_device["acct"]["SecretKey"], MESSAGE], env=env, capture_output=True,
                         text=True, timeout=120)
    out = dict(line.split("=", 1) for line in run.stdout.splitlines() if "=" in line)
    assert run.returncode == 0, (run.stdout, run.stderr)
    return out


def _rv(out, step):
    return int(out[f"rv_{step}"], 16)


def test_c_program_signs_with_the_vsms_sm2_key(demo, vsm_device):
    kms = vsm_device["kms"]
    key_id = kms.call("ListKeyDetail", {"SearchKeyAlias": "sdf-1-sign", "KeyUsage": "ALL"})["KeyMetadatas"][0]["KeyId"]
    public = sm2.SM2PublicKey.from_der(unb64(kms.call("GetPublicKey", {"KeyId": key_id})["PublicKey"]))
    raw = public.to_bytes()
    assert demo["pub_bits"] == "256"
    assert demo["pub_x"] == "00" * 32 + raw[1:33].hex() and demo["pub_y"] == "00" * 32 + raw[33:].hex()
    assert demo["e"] == public.message_digest(MESSAGE.encode()).hex()          # SDF hash with Z (default ID)
    signature = bytes.fromhex(demo["sig_r"][64:] + demo["sig_s"][64:])
    assert demo["sig_r"][:64] == "0" * 64
    public.verify(signature, MESSAGE.encode())                                  # the project's SM2, locally
    with pytest.raises(Exception):
        public.verify(signature, b"another message")
    assert _rv(demo, "internal_verify") == S.SDR_OK
    assert _rv(demo, "external_verify") == S.SDR_OK
    assert _rv(demo, "verify_tampered") == S.SDR_VERIFYERR


def test_c_program_sm4_sm2_sm3_and_random(demo, vsm_device):
    assert demo["sm3_abc"] == SM3_ABC
    assert len(bytes.fromhex(demo["random"])) == 32 and demo["random"] != "00" * 32
    assert demo["issuer"] == "Guardzone"
    assert demo["sm2_roundtrip"] == "1" and demo["sm2_L"] == "32"
    assert demo["cbc_roundtrip"] == "1" and demo["cbc_iv_chained"] == "1"
    assert demo["ecb_roundtrip"] == "1"
    # the KEK-wrapped session key is a KMS ciphertext of the VSM's KEK: opening it with the account's
    # credential gives the key the C program encrypted with
    blob = bytes.fromhex(demo["kek_blob"])
    assert len(blob) == S.SDF_KEK_BLOB_LEN
    key = unb64(vsm_device["kms"].call("Decrypt", {"CiphertextBlob": base64.b64encode(blob).decode()})["Plaintext"])
    plain = bytes.fromhex(demo["ecb_plain"])
    assert symmetric.encrypt("SM4", "ECB", key, plain, padding=False).hex() == demo["ecb_ct"]
    assert symmetric.encrypt("SM4", "CBC", key, plain, iv=bytes(16), padding=False)[-16:].hex() == demo["mac"]
    assert _rv(demo, "use_destroyed") == S.SDR_KEYNOTEXIST
    assert _rv(demo, "after_close") == S.SDR_INARGERR


# -- return codes through the C ABI (ctypes, in this process) ----------------------------------------

@pytest.fixture(scope="module")
def lib(library, vsm_device):
    handle = ctypes.CDLL(str(library))       # functions return int, ctypes' default
    assert handle.SDF_CloseDevice(None) == S.SDR_INARGERR, "the library did not start its SDF module"
    return handle


def _open(lib, conf, monkeypatch):
    monkeypatch.setenv("GUARDZONE_PKCS11_CONF", conf)
    dev, ses = ctypes.c_void_p(), ctypes.c_void_p()
    assert lib.SDF_OpenDevice(ctypes.byref(dev)) == S.SDR_OK
    assert lib.SDF_OpenSession(dev, ctypes.byref(ses)) == S.SDR_OK
    return dev, ses


def test_error_codes(lib, vsm_device, tmp_path, monkeypatch):
    monkeypatch.setenv("GUARDZONE_PKCS11_CONF", str(tmp_path / "missing.conf"))
    dev = ctypes.c_void_p()
    assert lib.SDF_OpenDevice(ctypes.byref(dev)) == S.SDR_OPENDEVICE
    dev, ses = _open(lib, vsm_device["conf"], monkeypatch)
    try:
        secret = vsm_device["acct"]["SecretKey"].encode()
        bogus = ctypes.c_void_p(0x1234)
        buf = ctypes.create_string_buffer(64)
        pub = ctypes.create_string_buffer(132)
        sig = ctypes.create_string_buffer(128)
        assert lib.SDF_GenerateRandom(bogus, 16, buf) == S.SDR_INARGERR                 # bad session handle
        assert lib.SDF_OpenSession(bogus, ctypes.byref(ctypes.c_void_p())) == S.SDR_INARGERR
        # nothing works with the VSM before the password unlocks a credential (none in the config)
        assert lib.SDF_GenerateRandom(ses, 16, buf) == S.SDR_PARDENY
        assert lib.SDF_GetPrivateKeyAccessRight(ses, 1, b"wrong", 5) == S.SDR_PRKRERR   # not the SecretKey
        assert lib.SDF_GetPrivateKeyAccessRight(ses, 9, secret, len(secret)) == S.SDR_KEYNOTEXIST
        assert lib.SDF_GetPrivateKeyAccessRight(ses, 1, secret, len(secret)) == S.SDR_OK
        assert lib.SDF_ExportSignPublicKey_ECC(ses, 9, pub) == S.SDR_KEYNOTEXIST       # unknown key index
        assert lib.SDF_ExportEncPublicKey_ECC(ses, 0, pub) == S.SDR_KEYNOTEXIST
        assert lib.SDF_InternalSign_ECC(ses, 1, b"\x01" * 32, 32, sig) == S.SDR_OK
        assert lib.SDF_InternalSign_ECC(ses, 1, b"\x01" * 31, 31, sig) == S.SDR_INARGERR  # not a digest
        assert lib.SDF_ReleasePrivateKeyAccessRight(ses, 1) == S.SDR_OK
        assert lib.SDF_InternalSign_ECC(ses, 1, b"\x01" * 32, 32, sig) == S.SDR_PARDENY   # right released
        assert lib.SDF_HashUpdate(ses, b"abc", 3) == S.SDR_STEPERR                      # no HashInit
        assert lib.SDF_HashInit(ses, 0x80, None, None, 0) == S.SDR_ALGNOTSUPPORT
        out_len = ctypes.c_uint()
        assert lib.SDF_Encrypt(ses, bogus, S.SGD_SM4_ECB, None, b"\x00" * 16, 16, buf,
                               ctypes.byref(out_len)) == S.SDR_KEYNOTEXIST             # bad key handle
        assert lib.SDF_DestroyKey(ses, bogus) == S.SDR_KEYNOTEXIST
        assert lib.SDF_GenerateRandom(ses, 16, None) == S.SDR_INARGERR                  # NULL output
    finally:
        assert lib.SDF_CloseSession(ses) == S.SDR_OK
        assert lib.SDF_CloseDevice(dev) == S.SDR_OK
    assert lib.SDF_CloseDevice(dev) == S.SDR_INARGERR                                   # already closed


def test_another_account_does_not_see_the_vsms_keys(lib, vsm_device, tmp_path, monkeypatch):
    other = new_account("sdf-other")
    secret = other["SecretKey"].encode()
    conf = tmp_path / "other.conf"
    conf.write_text(Path(vsm_device["conf"]).read_text().replace(vsm_device["acct"]["SecretId"], other["SecretId"]))
    dev, ses = _open(lib, str(conf), monkeypatch)
    try:
        # the other account's valid credential, naming this account's VSM: its keys are not there
        assert lib.SDF_GetPrivateKeyAccessRight(ses, 1, secret, len(secret)) == S.SDR_KEYNOTEXIST
    finally:
        assert lib.SDF_CloseSession(ses) == S.SDR_OK
        assert lib.SDF_CloseDevice(dev) == S.SDR_OK


def test_a_terminated_vsms_keys_no_longer_work(stack, lib, vsm_device, tmp_path, monkeypatch):
    import layers.keystore.vsm_hooks  # noqa: F401  (the wiring TerminateVsm relies on)
    from helpers import common_client
    acct, kms = vsm_device["acct"], vsm_device["kms"]
    doomed = make_vsm(acct["OwnerUin"])["ResourceId"]
    kms.call("CreateKey", {"Alias": "sdf-5-sign", "KeyUsage": "ASYMMETRIC_SIGN_VERIFY_SM2", "HsmClusterId": doomed})
    conf = tmp_path / "doomed.conf"
    conf.write_text(Path(vsm_device["conf"]).read_text().replace(vsm_device["vsm"], doomed))
    secret = acct["SecretKey"].encode()
    sig = ctypes.create_string_buffer(128)
    dev, ses = _open(lib, str(conf), monkeypatch)
    try:
        assert lib.SDF_GetPrivateKeyAccessRight(ses, 5, secret, len(secret)) == S.SDR_OK
        assert lib.SDF_InternalSign_ECC(ses, 5, b"\x02" * 32, 32, sig) == S.SDR_OK
        common_client(stack.endpoint, acct, "cloudhsm", "2019-11-12").call_json("TerminateVsm", {"ResourceId": doomed})
        assert lib.SDF_InternalSign_ECC(ses, 5, b"\x02" * 32, 32, sig) == S.SDR_KEYNOTEXIST
    finally:
        assert lib.SDF_CloseSession(ses) == S.SDR_OK
        assert lib.SDF_CloseDevice(dev) == S.SDR_OK
