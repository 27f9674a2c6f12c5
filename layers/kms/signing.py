"""SignByAsymmetricKey / VerifyByAsymmetricKey per algorithm. Signatures are DER, as Tencent KMS
returns them; verification also takes the raw r||s form of SM2 and ECDSA signatures.

MessageType DIGEST signs a 32-byte digest as is: SM3(Z || M) with the default ID
1234567812345678 for SM2DSA (GB/T 32918.2), SHA-256(M) for the others.
"""
from layers.crypto import CryptoError, ecc, rsa_keys

_RAW_SIZE = 64


def sign(algorithm: str, key, message: bytes, digest: bool) -> bytes:
    if algorithm == "SM2DSA":
        return key.sign_digest(message, der=True) if digest else key.sign(message, der=True)
    if algorithm == "ECC_P256_R1":
        return ecc.ecdsa_sign(key, message, "SHA256", prehashed=digest, der=True)
    if algorithm == "RSA_PSS_SHA_256":
        return rsa_keys.sign(key, message, "PSS", "SHA256", prehashed=digest)
    if algorithm == "RSA_PKCS1_SHA_256":
        return rsa_keys.sign(key, message, "PKCS1v15", "SHA256", prehashed=digest)
    raise ValueError(f"unknown signature algorithm {algorithm}")


def verify(algorithm: str, key, signature: bytes, message: bytes, digest: bool) -> bool:
    """Whether the signature is valid; a malformed signature is simply not valid."""
    try:
        if algorithm == "SM2DSA":
            der = len(signature) != _RAW_SIZE
            public = key.public_key
            if digest:
                public.verify_digest(signature, message, der=der)
            else:
                public.verify(signature, message, der=der)
        elif algorithm == "ECC_P256_R1":
            ecc.ecdsa_verify(key.public_key(), signature, message, "SHA256", prehashed=digest,
                             der=len(signature) != _RAW_SIZE)
        elif algorithm == "RSA_PSS_SHA_256":
            rsa_keys.verify(key.public_key(), signature, message, "PSS", "SHA256", prehashed=digest)
        elif algorithm == "RSA_PKCS1_SHA_256":
            rsa_keys.verify(key.public_key(), signature, message, "PKCS1v15", "SHA256", prehashed=digest)
        else:
            raise ValueError(f"unknown signature algorithm {algorithm}")
    except CryptoError:
        return False
    return True

