"""What each KeyUsage is: its material, its algorithms, and what ListAlgorithms says about it.

Symmetric keys (ENCRYPT_DECRYPT) are SM4 keys used in GCM mode; ENCRYPT_DECRYPT_AES_256 and
ENCRYPT_DECRYPT_AES_128 (Guardzone's own KeyUsage names, as the PQC ones are) are AES keys, used in GCM
mode by Encrypt and with caller-chosen modes by SymmetricEncrypt / SymmetricDecrypt; SM2 keys are on the GB/T 32918 curve;
ECC keys are NIST P-256; RSA keys are 2048-bit. Post-quantum keys (ML-KEM for PostQuantumCryptoEncrypt /
Decrypt, ML-DSA for PostQuantumCryptoSign / Verify) are offered where the crypto backend has them.
"""
from dataclasses import dataclass
from typing import Dict, Tuple

from layers.crypto import pqc

SYMMETRIC, DECRYPT, SIGN = "symmetric", "decrypt", "sign"
PQ_DECRYPT, PQ_SIGN = "pq_decrypt", "pq_sign"      # ML-KEM / ML-DSA: only the PostQuantumCrypto* actions
TYPE_FIPS, TYPE_GM = 2, 4          # KeyMetadata.Type: FIPS 140-2 / 国密 (GM/T)


@dataclass(frozen=True)
class Usage:
    name: str
    kind: str                     # SYMMETRIC | DECRYPT | SIGN | PQ_DECRYPT | PQ_SIGN
    material: str                 # SM4 | AES_256 | AES_128 | SM2 | RSA_2048 | EC_P256 | ML-KEM-768 ... (layers.crypto.pqc names)
    algorithm: str                # the Algorithm ListAlgorithms shows
    type_code: int
    sign_algorithms: Tuple[str, ...] = ()
    available: bool = True        # False: the crypto backend lacks it (CreateKey and ListAlgorithms leave it out)


ENCRYPT_DECRYPT = "ENCRYPT_DECRYPT"

USAGES: Dict[str, Usage] = {u.name: u for u in (
    Usage(ENCRYPT_DECRYPT, SYMMETRIC, "SM4", "SM4", TYPE_GM),
    *(Usage(f"ENCRYPT_DECRYPT_AES_{n}", SYMMETRIC, f"AES_{n}", f"AES_{n}", TYPE_FIPS) for n in (256, 128)),
    Usage("ASYMMETRIC_DECRYPT_RSA_2048", DECRYPT, "RSA_2048", "RSA_2048", TYPE_FIPS),
    Usage("ASYMMETRIC_DECRYPT_SM2", DECRYPT, "SM2", "SM2", TYPE_GM),
    Usage("ASYMMETRIC_SIGN_VERIFY_SM2", SIGN, "SM2", "SM2", TYPE_GM, ("SM2DSA",)),
    Usage("ASYMMETRIC_SIGN_VERIFY_RSA_2048", SIGN, "RSA_2048", "RSA_2048", TYPE_FIPS,
          ("RSA_PSS_SHA_256", "RSA_PKCS1_SHA_256")),
    Usage("ASYMMETRIC_SIGN_VERIFY_ECC", SIGN, "EC_P256", "ECC", TYPE_FIPS, ("ECC_P256_R1",)),
    *(Usage(f"ASYMMETRIC_DECRYPT_ML_KEM_{n}", PQ_DECRYPT, f"ML-KEM-{n}", f"ML_KEM_{n}", TYPE_FIPS,
            available=pqc.supported(f"ML-KEM-{n}")) for n in (768, 1024)),
    *(Usage(f"ASYMMETRIC_SIGN_VERIFY_ML_DSA_{n}", PQ_SIGN, f"ML-DSA-{n}", f"ML_DSA_{n}", TYPE_FIPS,
            available=pqc.supported(f"ML-DSA-{n}")) for n in (44, 65, 87)),
)}

# DIGEST messages are the 32-byte value each algorithm signs: SM3(Z || M) for SM2DSA, SHA-256(M) otherwise.
DIGEST_SIZE = 32


def algorithms() -> dict:
    """ListAlgorithms' three lists (ML-KEM keys are asymmetric encryption keys, ML-DSA keys signing keys)."""
    def infos(*kinds):
        return [{"KeyUsage": u.name, "Algorithm": u.algorithm} for u in USAGES.values()
                if u.kind in kinds and u.available]
    return {"SymmetricAlgorithms": infos(SYMMETRIC), "AsymmetricAlgorithms": infos(DECRYPT, PQ_DECRYPT),
            "AsymmetricSignVerifyAlgorithms": infos(SIGN, PQ_SIGN)}
