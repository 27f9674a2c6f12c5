"""What each KeyUsage is: its material, its algorithms, and what ListAlgorithms says about it.

Symmetric keys (ENCRYPT_DECRYPT) are SM4 keys used in GCM mode; SM2 keys are on the GB/T 32918 curve;
ECC keys are NIST P-256; RSA keys are 2048-bit.
"""
from dataclasses import dataclass
from typing import Dict, Tuple

SYMMETRIC, DECRYPT, SIGN = "symmetric", "decrypt", "sign"
TYPE_FIPS, TYPE_GM = 2, 4          # KeyMetadata.Type: FIPS 140-2 / 国密 (GM/T)


@dataclass(frozen=True)
class Usage:
    name: str
    kind: str                     # SYMMETRIC | DECRYPT | SIGN
    material: str                 # SM4 | SM2 | RSA_2048 | EC_P256
    algorithm: str                # the Algorithm ListAlgorithms shows
    type_code: int
    sign_algorithms: Tuple[str, ...] = ()


ENCRYPT_DECRYPT = "ENCRYPT_DECRYPT"

USAGES: Dict[str, Usage] = {u.name: u for u in (
    Usage(ENCRYPT_DECRYPT, SYMMETRIC, "SM4", "SM4", TYPE_GM),
    Usage("ASYMMETRIC_DECRYPT_RSA_2048", DECRYPT, "RSA_2048", "RSA_2048", TYPE_FIPS),
    Usage("ASYMMETRIC_DECRYPT_SM2", DECRYPT, "SM2", "SM2", TYPE_GM),
    Usage("ASYMMETRIC_SIGN_VERIFY_SM2", SIGN, "SM2", "SM2", TYPE_GM, ("SM2DSA",)),
    Usage("ASYMMETRIC_SIGN_VERIFY_RSA_2048", SIGN, "RSA_2048", "RSA_2048", TYPE_FIPS,
          ("RSA_PSS_SHA_256", "RSA_PKCS1_SHA_256")),
    Usage("ASYMMETRIC_SIGN_VERIFY_ECC", SIGN, "EC_P256", "ECC", TYPE_FIPS, ("ECC_P256_R1",)),
)}

# DIGEST messages are the 32-byte value each algorithm signs: SM3(Z || M) for SM2DSA, SHA-256(M) otherwise.
DIGEST_SIZE = 32


def algorithms() -> dict:
    """ListAlgorithms' three lists."""
    def infos(kind):
        return [{"KeyUsage": u.name, "Algorithm": u.algorithm} for u in USAGES.values() if u.kind == kind]
    return {"SymmetricAlgorithms": infos(SYMMETRIC), "AsymmetricAlgorithms": infos(DECRYPT),
            "AsymmetricSignVerifyAlgorithms": infos(SIGN)}
