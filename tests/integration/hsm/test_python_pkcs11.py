"""The PKCS#11 library through python-pkcs11 (loaded into this process): slots are the account's VSMs,
login with the SecretKey as PIN, objects are the VSM's KMS keys, keys are generated in the VSM, and the
private operations happen behind the API."""
import hashlib

import pytest

import pkcs11  # noqa: E402 (a project dependency: its absence is a broken install, not a skip)
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass  # noqa: E402
from pkcs11.exceptions import PinIncorrect, SignatureInvalid, NoSuchToken  # noqa: E402

from hsm_support import new_tenant, vendor, write_conf  # noqa: E402

SM3_SM2, SM2_KEY_PAIR_GEN = vendor(Mechanism, "SM3_SM2", 0x80008100), vendor(Mechanism, "SM2_KEY_PAIR_GEN", 0x80008001)
SM2_RAW, SM3 = vendor(Mechanism, "SM2_RAW", 0x80008200), vendor(Mechanism, "SM3", 0x80009000)
SM4_KEY_GEN, GZ_SM4_KMS = vendor(Mechanism, "SM4_KEY_GEN", 0x8000A001), vendor(Mechanism, "GZ_SM4_KMS", 0xC75A0001)
KEY_SM2, KEY_SM4 = vendor(KeyType, "SM2", 0x80000004), vendor(KeyType, "SM4", 0x80000106)
SM2_CURVE = bytes.fromhex("06082a811ccf5501822d")


@pytest.fixture(scope="module")
def lib(tenant, hsm_lib):
    import os
    os.environ["GUARDZONE_PKCS11_CONF"] = str(tenant.conf)
    lib = pkcs11.lib(hsm_lib)
    lib.reinitialize()
    yield lib


@pytest.fixture(scope="module")
def session(lib, tenant):
    s = lib.get_token(token_serial=tenant.vsm.encode()).open(user_pin=tenant.pin, rw=True)
    yield s
    try:
        s.close()
    except pkcs11.exceptions.PKCS11Error:
        pass                  # a later test re-initialized the library


def test_slots_are_the_vsms_and_login_needs_the_secret_key(lib, tenant):
    slots = lib.get_slots()
    assert [s.get_token().serial.decode().strip() for s in slots] == [tenant.vsm]
    token = slots[0].get_token()
    with pytest.raises(PinIncorrect):
        token.open(user_pin="not-the-secret-key")
    with token.open(user_pin=tenant.pin):           # once logged in, the VSM's own description
        token = lib.get_slots()[0].get_token()
        assert token.manufacturer_id.strip() == "TASS" and token.model.strip() == "GVSM"
        assert token.label.strip() == tenant.vsm_name
    assert lib.cryptoki_version == (2, 40) and lib.manufacturer_id.strip() == "Guardzone"


def test_rsa_keys_sign_in_the_vsm_and_verify(session, tenant):
    pub, priv = session.generate_keypair(KeyType.RSA, 2048, store=True, label="p11-rsa", id=b"\x01\x02")
    data = b"hello VSM" * 10
    for mech, param in ((Mechanism.SHA256_RSA_PKCS, None),
                        (Mechanism.SHA256_RSA_PKCS_PSS, (Mechanism.SHA256, pkcs11.MGF.SHA256, 32))):
        sig = priv.sign(data, mechanism=mech, mechanism_param=param)
        assert len(sig) == 256 and pub.verify(data, sig, mechanism=mech, mechanism_param=param)
        assert not pub.verify(data + b"!", sig, mechanism=mech, mechanism_param=param)
    # the key is a KMS key of the VSM: the JSON API sees it, with its label as alias
    keys = tenant.common.client.call_json  # noqa: F841 (cloudhsm client; KMS below)
    from helpers import common_client
    kms = common_client(tenant.endpoint, tenant.acct, "kms", "2019-01-18")
    listed = kms.call_json("ListKeyDetail", {"HsmClusterId": tenant.vsm, "KeyUsage": "ALL"})["Response"]["KeyMetadatas"]
    assert [k["Alias"] for k in listed if k["Alias"] == "p11-rsa"] and all(k["HsmClusterId"] == tenant.vsm for k in listed)
    # found again by template; the private key's value never leaves
    found = list(session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.ID: b"\x01\x02"}))
    assert len(found) == 1 and found[0][Attribute.LABEL] == "p11-rsa" and found[0][Attribute.SENSITIVE]
    assert not found[0][Attribute.EXTRACTABLE]
    assert found[0][Attribute.MODULUS] == pub[Attribute.MODULUS]


def test_ec_and_sm2_signatures(session):
    from pkcs11.util.ec import encode_named_curve_parameters
    params = session.create_domain_parameters(KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
                                              local=True)
    pub, priv = params.generate_keypair(store=True, label="p11-ec")
    digest = hashlib.sha256(b"msg").digest()
    sig = priv.sign(digest, mechanism=Mechanism.ECDSA)
    assert len(sig) == 64 and pub.verify(digest, sig, mechanism=Mechanism.ECDSA)
    assert pub.verify(b"msg", priv.sign(b"msg", mechanism=Mechanism.ECDSA_SHA256), mechanism=Mechanism.ECDSA_SHA256)

    from layers.crypto import sm2
    sm2_params = session.create_domain_parameters(KeyType.EC, {Attribute.EC_PARAMS: SM2_CURVE}, local=True)
    spub, spriv = sm2_params.generate_keypair(store=True, label="p11-sm2", mechanism=SM2_KEY_PAIR_GEN)
    sig = spriv.sign(b"sm2 message", mechanism=SM3_SM2)
    assert len(sig) == 64 and spub.verify(b"sm2 message", sig, mechanism=SM3_SM2)
    point = spub[Attribute.EC_POINT][2:]
    sm2.verify(point, sig, b"sm2 message")            # a standard SM2 signature (default ID)
    with pytest.raises(Exception):
        sm2.verify(point, sig, b"other message")


def test_encrypt_decrypt_rsa_oaep_sm2_and_sm4(session):
    pub, priv = session.generate_keypair(KeyType.RSA, 2048, store=True, label="p11-rsa-dec",
                                         capabilities=pkcs11.MechanismFlag.ENCRYPT | pkcs11.MechanismFlag.DECRYPT)
    oaep = (Mechanism.SHA256, pkcs11.MGF.SHA256, None)
    ct = pub.encrypt(b"secret", mechanism=Mechanism.RSA_PKCS_OAEP, mechanism_param=oaep)
    assert priv.decrypt(ct, mechanism=Mechanism.RSA_PKCS_OAEP, mechanism_param=oaep) == b"secret"

    sm2_params = session.create_domain_parameters(KeyType.EC, {Attribute.EC_PARAMS: SM2_CURVE}, local=True)
    spub, spriv = sm2_params.generate_keypair(store=True, label="p11-sm2-dec", mechanism=SM2_KEY_PAIR_GEN,
                                           capabilities=pkcs11.MechanismFlag.ENCRYPT | pkcs11.MechanismFlag.DECRYPT)
    ct = spub.encrypt(b"sm2 secret", mechanism=SM2_RAW)
    assert spriv.decrypt(ct, mechanism=SM2_RAW) == b"sm2 secret"

    key = session.generate_key(KEY_SM4, 128, store=True, label="p11-sm4", mechanism=SM4_KEY_GEN,
                               capabilities=pkcs11.MechanismFlag.ENCRYPT | pkcs11.MechanismFlag.DECRYPT)
    blob = key.encrypt(b"sm4 data", mechanism=GZ_SM4_KMS)
    assert key.decrypt(blob, mechanism=GZ_SM4_KMS) == b"sm4 data"
    with pytest.raises(pkcs11.exceptions.KeyTypeInconsistent):   # AES mechanisms need an AES key (test_pkcs11_aes.py)
        key.encrypt(b"x" * 16, mechanism=Mechanism.AES_CBC_PAD, mechanism_param=b"\x00" * 16)


def test_digest_and_random(session):
    assert session.digest(b"abc", mechanism=Mechanism.SHA256) == hashlib.sha256(b"abc").digest()
    from layers.crypto import sm3
    assert session.digest(b"abc", mechanism=SM3) == sm3.sm3(b"abc")
    r = session.generate_random(64 * 8)
    assert len(r) == 64 and r != session.generate_random(64 * 8)


def test_other_account_sees_neither_the_vsm_nor_its_keys(stack, lib, tenant, tmp_path):
    import os
    other = new_tenant(stack, tmp_path, "b")
    # B's credential, configured to use A's VSM as a slot: the slot is not offered
    conf = write_conf(tmp_path / "b-on-a.conf", other.endpoint, other.acct["SecretId"], f"slots = {tenant.vsm}\n")
    os.environ["GUARDZONE_PKCS11_CONF"] = str(conf)
    try:
        lib.reinitialize()
        token = lib.get_slots()[0].get_token()           # offered unverified until a login
        with pytest.raises(pkcs11.exceptions.DeviceRemoved):
            token.open(user_pin=other.pin)
        assert lib.get_slots() == []
        os.environ["GUARDZONE_PKCS11_CONF"] = str(other.conf)
        lib.reinitialize()
        with lib.get_token(token_serial=other.vsm.encode()).open(user_pin=other.pin) as s:
            assert list(s.get_objects({Attribute.LABEL: "p11-rsa"})) == []
            assert list(s.get_objects()) == []
    finally:
        os.environ["GUARDZONE_PKCS11_CONF"] = str(tenant.conf)
        lib.reinitialize()


def test_terminated_vsm_slot_disappears_and_its_keys_stop(stack, lib, tmp_path):
    import os
    t = new_tenant(stack, tmp_path, "c")
    os.environ["GUARDZONE_PKCS11_CONF"] = str(t.conf)
    try:
        lib.reinitialize()
        token = lib.get_token(token_serial=t.vsm.encode())
        with token.open(user_pin=t.pin, rw=True) as s:
            pub, priv = s.generate_keypair(KeyType.RSA, 2048, store=True, label="doomed")
            assert priv.sign(b"x", mechanism=Mechanism.SHA256_RSA_PKCS)
            t.common.call("TerminateVsm", {"ResourceId": t.vsm})
            with pytest.raises((pkcs11.exceptions.KeyHandleInvalid, pkcs11.exceptions.DeviceRemoved)):
                priv.sign(b"x", mechanism=Mechanism.SHA256_RSA_PKCS)
            assert lib.get_slots() == []                   # the failure made the library read the slots again
            with pytest.raises((pkcs11.exceptions.DeviceRemoved, pkcs11.exceptions.SessionHandleInvalid)):
                priv.sign(b"x", mechanism=Mechanism.SHA256_RSA_PKCS)
    finally:
        os.environ.pop("GUARDZONE_PKCS11_CONF", None)


def test_pin_unseals_the_secret_key_kept_in_the_config(lib, tenant, tmp_path):
    import os
    from layers.hsm_native.config import seal
    conf = write_conf(tmp_path / "sealed.conf", tenant.endpoint, tenant.acct["SecretId"],
                      f"slots = {tenant.vsm}\nsealed_secret_key = {seal(tenant.pin, '246810')}\n")
    assert tenant.pin not in conf.read_text() and "246810" not in conf.read_text()
    os.environ["GUARDZONE_PKCS11_CONF"] = str(conf)
    try:
        lib.reinitialize()
        token = lib.get_token(token_serial=tenant.vsm.encode())
        with pytest.raises(PinIncorrect):
            token.open(user_pin=tenant.pin)                 # with a sealed key, the SecretKey is no PIN
        with token.open(user_pin="246810") as s:
            assert len(list(s.get_objects({Attribute.LABEL: "p11-rsa"}))) == 2
    finally:
        os.environ["GUARDZONE_PKCS11_CONF"] = str(tenant.conf)
        lib.reinitialize()
