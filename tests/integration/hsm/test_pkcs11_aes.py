"""AES and SM4 with the caller's IV and mode through the PKCS#11 library (python-pkcs11 in this process):
CKM_AES_KEY_GEN makes the key in the VSM, and GCM / CBC / ECB / key wrap run there (KMS SymmetricEncrypt
/ SymmetricDecrypt); the key's value never leaves. Known answers use material imported into the VSM
through the KMS API."""
import os

import pytest

import pkcs11
from pkcs11 import Attribute, KeyType, Mechanism, MechanismFlag, ObjectClass
from pkcs11.exceptions import (AttributeSensitive, DataLenRange, EncryptedDataInvalid, EncryptedDataLenRange,
                               KeyTypeInconsistent, MechanismParamInvalid)
from pkcs11.mechanisms import GCMParams

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hsm_support import new_tenant, vendor

SM4_KEY_GEN = 0x8000A001
SM4_CBC_PAD, SM4_ECB = 0x8000A201, 0x8000A100
M_SM4_KEY_GEN = vendor(Mechanism, "SM4_KEY_GEN", SM4_KEY_GEN)
M_SM4_CBC_PAD, M_SM4_ECB = vendor(Mechanism, "SM4_CBC_PAD", SM4_CBC_PAD), vendor(Mechanism, "SM4_ECB", SM4_ECB)
KEY_SM4 = vendor(KeyType, "SM4", 0x80000106)


@pytest.fixture(scope="module")
def aes_tenant(stack, hsm_lib, tmp_path_factory):
    return new_tenant(stack, tmp_path_factory.mktemp("p11aes"), "aes")


@pytest.fixture(scope="module")
def session(aes_tenant, hsm_lib):
    os.environ["GUARDZONE_PKCS11_CONF"] = str(aes_tenant.conf)
    lib = pkcs11.lib(hsm_lib)
    lib.reinitialize()
    s = lib.get_token(token_serial=aes_tenant.vsm.encode()).open(user_pin=aes_tenant.pin, rw=True)
    yield s
    try:
        s.close()
    except pkcs11.exceptions.PKCS11Error:
        pass


@pytest.fixture(scope="module")
def aes(session):
    return session.generate_key(KeyType.AES, 256, store=True, label="p11-aes")


def test_aes_key_is_made_in_the_vsm_and_never_leaves(session, aes, aes_tenant):
    assert aes[Attribute.KEY_TYPE] == KeyType.AES and aes[Attribute.VALUE_LEN] == 32
    assert aes[Attribute.SENSITIVE] and not aes[Attribute.EXTRACTABLE]
    with pytest.raises(AttributeSensitive):
        aes[Attribute.VALUE]
    from helpers import common_client
    kms = common_client(aes_tenant.endpoint, aes_tenant.acct, "kms", "2019-01-18")
    listed = kms.call_json("ListKeyDetail", {"HsmClusterId": aes_tenant.vsm, "KeyUsage": "ENCRYPT_DECRYPT_AES_256"})
    assert [k["Alias"] for k in listed["Response"]["KeyMetadatas"]] == ["p11-aes"]
    small = session.generate_key(KeyType.AES, 128, label="p11-aes-128")       # a session object
    assert small[Attribute.VALUE_LEN] == 16
    with pytest.raises(pkcs11.exceptions.PKCS11Error):
        session.generate_key(KeyType.AES, 192)                               # AES-128 and AES-256 only
    info = session.token.slot.get_mechanism_info(Mechanism.AES_GCM)
    assert MechanismFlag.ENCRYPT in info.flags and MechanismFlag.DECRYPT in info.flags
    assert (info.min_key_length, info.max_key_length) == (16, 32)


def test_gcm_with_aad_single_and_multi_part(aes):
    iv, aad, data = os.urandom(12), b"associated", b"GCM in the VSM " * 20
    ct = aes.encrypt(data, mechanism=Mechanism.AES_GCM, mechanism_param=GCMParams(iv, aad))
    assert len(ct) == len(data) + 16 and data not in ct
    assert aes.decrypt(ct, mechanism=Mechanism.AES_GCM, mechanism_param=GCMParams(iv, aad)) == data
    chunks = [data[i:i + 50] for i in range(0, len(data), 50)]
    assert b"".join(aes.encrypt(chunks, mechanism=Mechanism.AES_GCM, mechanism_param=GCMParams(iv, aad))) == ct
    parts = [ct[i:i + 64] for i in range(0, len(ct), 64)]
    assert b"".join(aes.decrypt(parts, mechanism=Mechanism.AES_GCM, mechanism_param=GCMParams(iv, aad))) == data
    tampered = ct[:-1] + bytes([ct[-1] ^ 1])
    with pytest.raises(EncryptedDataInvalid):
        aes.decrypt(tampered, mechanism=Mechanism.AES_GCM, mechanism_param=GCMParams(iv, aad))
    with pytest.raises(EncryptedDataInvalid):
        aes.decrypt(ct, mechanism=Mechanism.AES_GCM, mechanism_param=GCMParams(iv, b"other aad"))
    with pytest.raises(EncryptedDataInvalid):                  # multi-part: nothing is released, the tag fails
        b"".join(aes.decrypt([tampered[:40], tampered[40:]], mechanism=Mechanism.AES_GCM,
                             mechanism_param=GCMParams(iv, aad)))
    short = aes.encrypt(data, mechanism=Mechanism.AES_GCM, mechanism_param=GCMParams(iv, aad, 96))
    assert short == ct[:-4]
    with pytest.raises(MechanismParamInvalid):
        aes.encrypt(data, mechanism=Mechanism.AES_GCM, mechanism_param=GCMParams(iv, aad, 64))


def test_cbc_ecb_and_key_wrap(aes):
    data = b"cbc pad data that is not a block multiple"
    iv1, iv2 = os.urandom(16), os.urandom(16)
    one = aes.encrypt(data, mechanism=Mechanism.AES_CBC_PAD, mechanism_param=iv1)
    two = aes.encrypt(data, mechanism=Mechanism.AES_CBC_PAD, mechanism_param=iv2)
    assert one != two and len(one) == 48
    assert aes.decrypt(one, mechanism=Mechanism.AES_CBC_PAD, mechanism_param=iv1) == data
    assert aes.decrypt(two, mechanism=Mechanism.AES_CBC_PAD, mechanism_param=iv1) != data
    with pytest.raises(DataLenRange):                                           # unpadded: whole blocks only
        aes.encrypt(data, mechanism=Mechanism.AES_CBC, mechanism_param=iv1)
    with pytest.raises(EncryptedDataLenRange):
        aes.decrypt(one[:-1], mechanism=Mechanism.AES_CBC_PAD, mechanism_param=iv1)
    with pytest.raises(MechanismParamInvalid):
        aes.encrypt(data, mechanism=Mechanism.AES_CBC_PAD, mechanism_param=b"short iv")
    block = aes.encrypt(b"B" * 32, mechanism=Mechanism.AES_ECB)
    assert block[:16] == block[16:] and aes.decrypt(block, mechanism=Mechanism.AES_ECB) == b"B" * 32
    key_data = os.urandom(32)
    wrapped = aes.encrypt(key_data, mechanism=Mechanism.AES_KEY_WRAP)
    assert len(wrapped) == 40 and aes.decrypt(wrapped, mechanism=Mechanism.AES_KEY_WRAP) == key_data
    padded = aes.encrypt(b"odd-size key", mechanism=Mechanism.AES_KEY_WRAP_PAD)
    assert aes.decrypt(padded, mechanism=Mechanism.AES_KEY_WRAP_PAD) == b"odd-size key"
    with pytest.raises(EncryptedDataInvalid):
        aes.decrypt(wrapped[:-1] + bytes([wrapped[-1] ^ 1]), mechanism=Mechanism.AES_KEY_WRAP)


def test_sm4_modes_with_the_callers_iv(session):
    sm4 = session.generate_key(KEY_SM4, 128, label="p11-sm4-cbc", mechanism=M_SM4_KEY_GEN,
                               capabilities=MechanismFlag.ENCRYPT | MechanismFlag.DECRYPT)
    iv = os.urandom(16)
    ct = sm4.encrypt(b"sm4 cbc data", mechanism=M_SM4_CBC_PAD, mechanism_param=iv)
    assert len(ct) == 16 and sm4.decrypt(ct, mechanism=M_SM4_CBC_PAD, mechanism_param=iv) == b"sm4 cbc data"
    assert sm4.decrypt(sm4.encrypt(b"S" * 16, mechanism=M_SM4_ECB), mechanism=M_SM4_ECB) == b"S" * 16
    with pytest.raises(KeyTypeInconsistent):
        sm4.encrypt(b"x" * 16, mechanism=Mechanism.AES_CBC_PAD, mechanism_param=iv)


@pytest.fixture(scope="module")
def kat(session, aes_tenant):
    """(value, the key): an AES-256 key imported through the KMS API into the VSM (its value known here
    only because it was imported; EXTERNAL material is the only kind C_WrapKey wraps)."""
    import base64
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    from helpers import common_client
    kms = common_client(aes_tenant.endpoint, aes_tenant.acct, "kms", "2019-01-18")
    call = lambda action, params: kms.call_json(action, params)["Response"]
    value = os.urandom(32)
    key_id = call("CreateKey", {"Alias": "p11-aes-kat", "KeyUsage": "ENCRYPT_DECRYPT_AES_256", "Type": 2,
                                "HsmClusterId": aes_tenant.vsm})["KeyId"]
    p = call("GetParametersForImport", {"KeyId": key_id, "WrappingAlgorithm": "RSAES_OAEP_SHA_256",
                                        "WrappingKeySpec": "RSA_2048"})
    public = serialization.load_der_public_key(base64.b64decode(p["PublicKey"]))
    sealed = public.encrypt(value, padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None))
    call("ImportKeyMaterial", {"KeyId": key_id, "ImportToken": p["ImportToken"],
                               "EncryptedKeyMaterial": base64.b64encode(sealed).decode()})
    (key,) = session.get_objects({Attribute.CLASS: ObjectClass.SECRET_KEY, Attribute.LABEL: "p11-aes-kat"})
    return value, key


def test_known_answers_with_material_imported_into_the_vsm(kat):
    value, key = kat
    iv, aad, data = os.urandom(12), b"aad", b"known answer"
    assert key.encrypt(data, mechanism=Mechanism.AES_GCM, mechanism_param=GCMParams(iv, aad)) == \
        AESGCM(value).encrypt(iv, data, aad)
    cbc_iv = os.urandom(16)
    enc = Cipher(algorithms.AES(value), modes.CBC(cbc_iv)).encryptor()
    assert key.encrypt(b"C" * 32, mechanism=Mechanism.AES_CBC, mechanism_param=cbc_iv) == \
        enc.update(b"C" * 32) + enc.finalize()


def test_wrap_and_unwrap_keys_in_the_vsm(session, aes, kat):
    value, imported = kat
    assert imported[Attribute.EXTRACTABLE] and not imported[Attribute.LOCAL] and imported[Attribute.SENSITIVE]
    assert aes[Attribute.WRAP] and aes[Attribute.UNWRAP] and aes[Attribute.LOCAL]
    wrapped = aes.wrap_key(imported, mechanism=Mechanism.AES_KEY_WRAP)
    assert len(wrapped) == 40 and value not in wrapped
    copy = aes.unwrap_key(ObjectClass.SECRET_KEY, KeyType.AES, wrapped, label="p11-unwrapped",
                          mechanism=Mechanism.AES_KEY_WRAP)
    assert copy[Attribute.VALUE_LEN] == 32 and copy[Attribute.KEY_TYPE] == KeyType.AES
    with pytest.raises(AttributeSensitive):
        copy[Attribute.VALUE]
    iv = os.urandom(12)
    assert copy.encrypt(b"same key", mechanism=Mechanism.AES_GCM, mechanism_param=GCMParams(iv)) == \
        AESGCM(value).encrypt(iv, b"same key", None)
    padded = aes.wrap_key(imported, mechanism=Mechanism.AES_KEY_WRAP_PAD)
    assert aes.unwrap_key(ObjectClass.SECRET_KEY, KeyType.AES, padded, mechanism=Mechanism.AES_KEY_WRAP_PAD)
    with pytest.raises(pkcs11.exceptions.WrappedKeyInvalid):
        aes.unwrap_key(ObjectClass.SECRET_KEY, KeyType.AES, wrapped[:-1] + bytes([wrapped[-1] ^ 1]),
                       mechanism=Mechanism.AES_KEY_WRAP)
    with pytest.raises(pkcs11.exceptions.KeyUnextractable):          # made in the VSM: it never leaves
        imported.wrap_key(aes, mechanism=Mechanism.AES_KEY_WRAP)
    assert not aes[Attribute.EXTRACTABLE] and aes[Attribute.NEVER_EXTRACTABLE]
